// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels=threads=2 | FileCheck %s --check-prefix=CONFIG
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels="threads=2 pack-constant-b=false" | FileCheck %s --check-prefix=OFF
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels="threads=2 k-block=32" | FileCheck %s --check-prefix=OFF
// RUN: agn-opt %s -split-input-file --agn-set-target=cpu=znver4 --agn-cpu-configure-kernels=threads=2 --agn-vectorize-contractions --canonicalize | FileCheck %s

// A constant float B with more than one row tile of A (whose 128 x 384 f32
// are 192 KiB) is swept a packed panel at a time: `pack_b`, no K blocks,
// whether B is read [K, N] or transposed. An A of one row tile, an A over
// 1 MiB, a B of one panel and a B that is not a constant keep the unpacked
// tiles, as every matmul does with `pack-constant-b=false` or a `k-block`
// given.
// CONFIG-LABEL: func.func @choices
// CONFIG: tile_sizes = [8, 32, 1], threads = 2, pack_b = true>} ins(%{{.*}}, %{{.*}} : tensor<128x384xf32>, tensor<384x1536xf32>)
// CONFIG: tile_sizes = [8, 32, 1], threads = 2, pack_b = true>} ins(%{{.*}}, %{{.*}} : tensor<128x384xf32>, tensor<1536x384xf32>)
// CONFIG: tile_sizes = [8, 32, 1], k_block = 32, threads = 2>} ins(%{{.*}}, %{{.*}} : tensor<8x384xf32>, tensor<384x1536xf32>)
// CONFIG: tile_sizes = [8, 32, 1], k_block = 32, threads = 2>} ins(%{{.*}}, %{{.*}} : tensor<1024x384xf32>, tensor<384x1536xf32>)
// CONFIG: tile_sizes = [8, 32, 1], threads = 2>} ins(%{{.*}}, %{{.*}} : tensor<128x384xf32>, tensor<384x32xf32>)
// CONFIG: tile_sizes = [8, 32, 1], k_block = 32, threads = 2>} ins(%{{.*}}, %{{.*}} : tensor<128x384xf32>, tensor<384x1536xf32>)
// OFF-LABEL: func.func @choices
// OFF-NOT: pack_b
func.func @choices(%a: tensor<128x384xf32>, %row: tensor<8x384xf32>, %tall: tensor<1024x384xf32>,
                   %b: tensor<384x1536xf32>)
    -> (tensor<128x1536xf32>, tensor<128x1536xf32>, tensor<8x1536xf32>, tensor<1024x1536xf32>,
        tensor<128x32xf32>, tensor<128x1536xf32>) {
  %w = arith.constant dense<0.5> : tensor<384x1536xf32>
  %wt = arith.constant dense<0.25> : tensor<1536x384xf32>
  %narrow = arith.constant dense<2.0> : tensor<384x32xf32>
  %c = tensor.empty() : tensor<128x1536xf32>
  %r0 = linalg.matmul ins(%a, %w : tensor<128x384xf32>, tensor<384x1536xf32>) outs(%c : tensor<128x1536xf32>) -> tensor<128x1536xf32>
  %r1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %wt : tensor<128x384xf32>, tensor<1536x384xf32>) outs(%c : tensor<128x1536xf32>) -> tensor<128x1536xf32>
  %e2 = tensor.empty() : tensor<8x1536xf32>
  %r2 = linalg.matmul ins(%row, %w : tensor<8x384xf32>, tensor<384x1536xf32>) outs(%e2 : tensor<8x1536xf32>) -> tensor<8x1536xf32>
  %e3 = tensor.empty() : tensor<1024x1536xf32>
  %r3 = linalg.matmul ins(%tall, %w : tensor<1024x384xf32>, tensor<384x1536xf32>) outs(%e3 : tensor<1024x1536xf32>) -> tensor<1024x1536xf32>
  %e4 = tensor.empty() : tensor<128x32xf32>
  %r4 = linalg.matmul ins(%a, %narrow : tensor<128x384xf32>, tensor<384x32xf32>) outs(%e4 : tensor<128x32xf32>) -> tensor<128x32xf32>
  %r5 = linalg.matmul ins(%a, %b : tensor<128x384xf32>, tensor<384x1536xf32>) outs(%c : tensor<128x1536xf32>) -> tensor<128x1536xf32>
  return %r0, %r1, %r2, %r3, %r4, %r5 : tensor<128x1536xf32>, tensor<128x1536xf32>, tensor<8x1536xf32>, tensor<1024x1536xf32>, tensor<128x32xf32>, tensor<128x1536xf32>
}

// -----

// Carried out: B (4 x 104) becomes a constant of 3 panels of 32 columns,
// each [K, 32] (the 8 columns past them go the unpacked way); of two
// threads, the first takes panel 0, the second panels 1 and 2, and for each
// goes down the row tiles of A (2 tiles of 8 rows, then the 4 rows left)
// over all of K.
// CHECK-LABEL: func.func @panels
// OFF-LABEL: func.func @panels
// CHECK-DAG: %[[PACKED:.*]] = arith.constant dense<{{.*}}> : tensor<3x4x32xf32>
// CHECK: scf.forall (%[[T:.*]]) in (2) shared_outs(%[[C:.*]] = %{{.*}}) -> (tensor<20x96xf32>)
// CHECK: %[[CHUNK:.*]] = tensor.extract_slice %[[C]][0, %{{.*}}] [20, %{{.*}}] [1, 1]
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %c1 iter_args(%{{.*}} = %[[CHUNK]])
// CHECK: tensor.extract_slice %[[PACKED]][%[[J]], 0, 0] [1, 4, 32] [1, 1, 1] : tensor<3x4x32xf32> to tensor<4x32xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c8
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1
// CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<1x32xf32> into vector<4x32xf32>
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[C]][0, %{{.*}}] [20, %{{.*}}] [1, 1]
// CHECK: vector.contract {{.*}} into vector<8x8xf32>
// CHECK-NOT: linalg.matmul
func.func @panels(%a: tensor<20x4xf32>, %c: tensor<20x104xf32>) -> tensor<20x104xf32> {
  %b = arith.constant dense<"0x000000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041000050410000604100007041000080410000884100009041000098410000A0410000A8410000B0410000B8410000C0410000C8410000D0410000D8410000E0410000E8410000F0410000F84100000042000004420000084200000C4200001042000014420000184200001C4200002042000024420000284200002C4200003042000034420000384200003C4200004042000044420000484200004C4200005042000054420000584200005C4200006042000064420000684200006C4200007042000074420000784200007C42000080420000824200008442000086420000884200008A4200008C4200008E42000090420000924200009442000096420000984200009A4200009C4200009E420000A0420000A2420000A4420000A6420000A8420000AA420000AC420000AE420000B0420000B2420000B4420000B6420000B8420000BA420000BC420000BE420000C0420000C2420000C4420000C6420000C8420000CA420000CC420000CE420000D0420000D2420000D4420000D6420000D8420000DA420000DC420000DE420000E0420000E2420000E4420000E6420000E8420000EA420000EC420000EE420000F0420000F2420000F4420000F6420000F8420000FA420000FC420000FE420000004300000143000002430000034300000443000005430000064300000743000008430000094300000A4300000B4300000C4300000D4300000E4300000F430000104300001143000012430000134300001443000015430000164300001743000018430000194300001A4300001B4300001C4300001D4300001E4300001F430000204300002143000022430000234300002443000025430000264300002743000028430000294300002A4300002B4300002C4300002D4300002E4300002F430000304300003143000032430000334300003443000035430000364300003743000038430000394300003A4300003B4300003C4300003D4300003E4300003F430000404300004143000042430000434300004443000045430000464300004743000048430000494300004A4300004B4300004C4300004D4300004E4300004F430000504300005143000052430000534300005443000055430000564300005743000058430000594300005A4300005B4300005C4300005D4300005E4300005F430000604300006143000062430000634300006443000065430000664300006743000068430000694300006A4300006B4300006C4300006D4300006E4300006F430000704300007143000072430000734300007443000075430000764300007743000078430000794300007A4300007B4300007C4300007D4300007E4300007F43000080430080804300008143008081430000824300808243000083430080834300008443008084430000854300808543000086430080864300008743008087430000884300808843000089430080894300008A4300808A4300008B4300808B4300008C4300808C4300008D4300808D4300008E4300808E4300008F4300808F43000090430080904300009143008091430000924300809243000093430080934300009443008094430000954300809543000096430080964300009743008097430000984300809843000099430080994300009A4300809A4300009B4300809B4300009C4300809C4300009D4300809D4300009E4300809E4300009F4300809F430000A0430080A0430000A1430080A1430000A2430080A2430000A3430080A3430000A4430080A4430000A5430080A5430000A6430080A6430000A7430080A7430000A8430080A8430000A9430080A9430000AA430080AA430000AB430080AB430000AC430080AC430000AD430080AD430000AE430080AE430000AF430080AF430000B0430080B0430000B1430080B1430000B2430080B2430000B3430080B3430000B4430080B4430000B5430080B5430000B6430080B6430000B7430080B7430000B8430080B8430000B9430080B9430000BA430080BA430000BB430080BB430000BC430080BC430000BD430080BD430000BE430080BE430000BF430080BF430000C0430080C0430000C1430080C1430000C2430080C2430000C3430080C3430000C4430080C4430000C5430080C5430000C6430080C6430000C7430080C7430000C8430080C8430000C9430080C9430000CA430080CA430000CB430080CB430000CC430080CC430000CD430080CD430000CE430080CE430000CF430080CF43"> : tensor<4x104xf32>
  %r = linalg.matmul {agn.lowering_config = #agn.lowering_config<kernel = register_tiles, tile_sizes = [8, 32, 1], threads = 2, pack_b = true>}
      ins(%a, %b : tensor<20x4xf32>, tensor<4x104xf32>) outs(%c : tensor<20x104xf32>) -> tensor<20x104xf32>
  return %r : tensor<20x104xf32>
}
