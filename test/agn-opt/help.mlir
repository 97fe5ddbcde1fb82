// RUN: agn-opt --help | FileCheck %s --check-prefix=HELP
// RUN: agn-opt --show-dialects | FileCheck %s --check-prefix=DIALECTS

// agn-opt is mlir-opt plus agn: the dialect is listed next to the upstream
// ones, and upstream passes are there to mix with agn's.

// HELP: OVERVIEW: agn optimizer driver
// HELP: Available Dialects: {{.*}}agn,{{.*}}linalg
// HELP: --canonicalize
// HELP: --one-shot-bufferize

// DIALECTS: Available Dialects:
// DIALECTS: agn
// DIALECTS: func
// DIALECTS: linalg
// DIALECTS: tensor
