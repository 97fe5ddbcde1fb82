// RUN: agn-opt %s --agn-set-target=cpu=x86-64-v3 | FileCheck %s --check-prefix=V3
// RUN: agn-opt %s --agn-set-target="cpu=x86-64-v3 features=+avx512f,-bmi2" | FileCheck %s --check-prefix=FEATURES
// RUN: agn-opt %s --agn-set-target | FileCheck %s --check-prefix=NATIVE
// RUN: agn-opt %s --agn-set-target=cpu=znver4 --agn-set-target="cpu=x86-64-v3 keep-existing" | FileCheck %s --check-prefix=KEEP
// RUN: agn-opt %s --agn-set-target=cpu=znver4 --agn-set-target=cpu=x86-64-v3 | FileCheck %s --check-prefix=V3
// RUN: not agn-opt %s --agn-set-target=cpu=pentium9 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not agn-opt %s --agn-set-target="cpu=x86-64-v3 features=avx2" 2>&1 | FileCheck %s --check-prefix=SIGN

// A named CPU: its name and the features it implies, in the IR, whatever the
// host is.
// V3: module attributes {llvm.target = #llvm.target<triple = "{{.*}}", chip = "x86-64-v3", features = <[
// V3-SAME: "+avx"
// V3-SAME: "+avx2"
// V3-SAME: "+fma"
// V3-NOT: avx512f

// Features given last win, with what they imply (avx512f implies avx2; bmi2
// off; a feature turned off also turns off what needs it).
// FEATURES: chip = "x86-64-v3"
// FEATURES-SAME: "+avx512f"
// FEATURES-SAME: "-bmi2"

// native resolves to the host's CPU name and every feature LLVM detects on
// it, enabled or not: the IR says what it was generated for.
// NATIVE: module attributes {llvm.target = #llvm.target<triple = "{{.*}}", chip = "{{[a-z0-9-]+}}", features = <[
// NATIVE-NOT: chip = "native"

// keep-existing (the pipelines' default) leaves a target set earlier.
// KEEP: chip = "znver4"

// UNKNOWN: error: agn-set-target: unknown x86 CPU 'pentium9': use 'native', or a name 'llc -march=x86-64 -mcpu=help' lists
// SIGN: error: agn-set-target: target feature 'avx2' must be a name after '+' (enable) or '-' (disable)

func.func @f() {
  return
}
