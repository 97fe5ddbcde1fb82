func.func @main(%m: memref<4xf32>) {
  return
}
