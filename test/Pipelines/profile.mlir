// RUN: agn-opt %agn_src_root/examples/mlp.mlir --agn-adaptive-pipeline \
// RUN:   --agn-lower-to-llvm-pipeline="profile=true profile-model=net" \
// RUN: | FileCheck %s
// RUN: agn-opt %agn_src_root/examples/mlp.mlir --agn-adaptive-pipeline \
// RUN:   --agn-lower-to-llvm-pipeline | FileCheck %s --check-prefix=OFF

// profile=true: every version of each unit and the entry function get a
// record, and the calls survive down to the LLVM dialect.
// CHECK-DAG: llvm.mlir.global internal constant @{{.*}}("net\09function\09\09\09@mlp\00")
// CHECK-DAG: llvm.mlir.global internal constant @{{.*}}("net\09unit\09mlp.u0\09i4\09mlp.u0 @ i4\00")
// CHECK-DAG: llvm.mlir.global internal constant @{{.*}}("net\09unit\09mlp.u0\09f32\09mlp.u0 @ f32\00")
// CHECK-DAG: llvm.mlir.global internal constant @{{.*}}("net\09controller\09mlp.u0\09\09arbitrate #{{[0-9]+}}\00")
// CHECK-DAG: llvm.func @agn_rt_profile_begin(!llvm.ptr)
// CHECK-DAG: llvm.func @agn_rt_profile_end(!llvm.ptr)
// CHECK: llvm.func @mlp(
// CHECK: llvm.call @agn_rt_profile_begin

// Off by default: no call, no record.
// OFF-NOT: agn_rt_profile
// OFF-NOT: __agn_profile_
