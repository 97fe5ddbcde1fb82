// RUN: agn-opt %agn_src_root/examples/mlp.mlir --agn-adaptive-pipeline | FileCheck %s --check-prefix=MLP
// RUN: agn-opt %agn_src_root/examples/cnn_tosa.mlir --tosa-to-linalg-pipeline --agn-adaptive-pipeline | FileCheck %s --check-prefix=CNN
// RUN: agn-opt %agn_src_root/examples/cnn.mlir --agn-adaptive-pipeline | FileCheck %s --check-prefix=CNN
// RUN: agn-opt %agn_src_root/examples/mlp.mlir --agn-adaptive-pipeline="levels=i8,f32 thresholds=0.5 split=2" | FileCheck %s --check-prefix=SPLIT

// The bundled examples through the whole pipeline: models written for
// upstream MLIR (linalg, and TOSA lowered by MLIR's own TOSA pipeline) come
// out with one unit per layer, a controller in each and one version per level.

// MLP-LABEL: func.func @mlp
// MLP: agn.unit "mlp.u0" levels [i4, i8, bf16, f16, f32]
// MLP-SAME: costs [#agn.cost<i4,
// MLP: agn.variance
// MLP: agn.select
// MLP: agn.arbitrate
// MLP: agn.dispatch
// MLP-NEXT: case i4 {
// MLP: case i8 {
// MLP: case bf16 {
// MLP: case f16 {
// MLP: case f32 {
// MLP: agn.unit "mlp.u1"
// MLP: agn.dispatch
// MLP-NOT: agn.unit

// CNN-LABEL: func.func @cnn
// CNN: agn.unit "cnn.u0"
// CNN: agn.arbitrate
// CNN: agn.dispatch
// CNN: linalg.conv_2d_nhwc_fhwc
// CNN: agn.unit "cnn.u1"
// CNN: agn.unit "cnn.u2"
// CNN: linalg.batch_matmul
// CNN-NOT: agn.unit

// SPLIT-LABEL: func.func @mlp
// SPLIT: agn.unit "mlp.u0.s0" levels [i8, f32]
// SPLIT: agn.arbitrate
// SPLIT: agn.unit "mlp.u0.s1" levels [i8, f32]
// SPLIT: agn.arbitrate
// SPLIT: tensor.concat dim(1)
// SPLIT: agn.unit "mlp.u1.s0"
// SPLIT: agn.unit "mlp.u1.s1"
