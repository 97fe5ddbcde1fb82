// RUN: agn-opt %s --agn-hoist-vector-transfers | FileCheck %s

// A one-column tile reached through a unit-dimension expand_shape: folding the
// subviews into the transfers does not converge within the greedy driver's
// iterations, which is no error (the pass failed, silently, before): the
// transfers are folded onto the buffers and the pass goes on.

// CHECK-LABEL: func.func @one_column
// CHECK: vector.transfer_read %arg0[%{{.*}}, %{{.*}}], {{.*}} : memref<16x24xf32>, vector<8x1xf32>
// CHECK: vector.transfer_read %{{.*}}[%{{.*}}, %c0], {{.*}} : memref<24x1xf32>, vector<1x1xf32>
// CHECK: vector.contract
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%{{.*}}, %c0] {{.*}} : vector<8x1xf32>, memref<16x1xf32>
#map = affine_map<(d0, d1, d2) -> (d0, d2)>
#map1 = affine_map<(d0, d1, d2) -> (d2, d1)>
#map2 = affine_map<(d0, d1, d2) -> (d0, d1)>
module {
  func.func @one_column(%arg0: memref<16x24xf32>, %arg1: memref<24xf32>, %arg2: memref<16xf32>) -> memref<16xf32> {
    %cst = arith.constant 0.000000e+00 : f32
    %c8 = arith.constant 8 : index
    %c24 = arith.constant 24 : index
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %c0 = arith.constant 0 : index
    %expand_shape = memref.expand_shape %arg2 [[0, 1]] output_shape [16, 1] : memref<16xf32> into memref<16x1xf32>
    %expand_shape_0 = memref.expand_shape %arg1 [[0, 1]] output_shape [24, 1] : memref<24xf32> into memref<24x1xf32>
    scf.for %arg3 = %c0 to %c16 step %c8 {
      scf.for %arg4 = %c0 to %c24 step %c1 {
        %subview = memref.subview %arg0[%arg3, %arg4] [8, 1] [1, 1] : memref<16x24xf32> to memref<8x1xf32, strided<[24, 1], offset: ?>>
        %subview_1 = memref.subview %expand_shape_0[%arg4, 0] [1, 1] [1, 1] : memref<24x1xf32> to memref<1x1xf32, strided<[1, 1], offset: ?>>
        %subview_2 = memref.subview %expand_shape[%arg3, 0] [8, 1] [1, 1] : memref<16x1xf32> to memref<8x1xf32, strided<[1, 1], offset: ?>>
        %0 = vector.transfer_read %subview[%c0, %c0], %cst {in_bounds = [true, true]} : memref<8x1xf32, strided<[24, 1], offset: ?>>, vector<8x1xf32>
        %1 = vector.transfer_read %subview_1[%c0, %c0], %cst {in_bounds = [true, true]} : memref<1x1xf32, strided<[1, 1], offset: ?>>, vector<1x1xf32>
        %2 = vector.transfer_read %subview_2[%c0, %c0], %cst {in_bounds = [true, true]} : memref<8x1xf32, strided<[1, 1], offset: ?>>, vector<8x1xf32>
        %3 = vector.contract {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %0, %1, %2 : vector<8x1xf32>, vector<1x1xf32> into vector<8x1xf32>
        vector.transfer_write %3, %subview_2[%c0, %c0] {in_bounds = [true, true]} : vector<8x1xf32>, memref<8x1xf32, strided<[1, 1], offset: ?>>
      }
    }
    return %arg2 : memref<16xf32>
  }
}

