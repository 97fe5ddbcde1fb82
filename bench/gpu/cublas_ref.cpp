//===- cublas_ref.cpp - cuBLAS on the device check's matmuls --------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//
//
// The reference rows of scripts/gpu-check.sh (docs/GPU.md, "The device
// check"): cuBLAS on the shapes and levels of gpu-check, timed two ways:
//
//   kernel ms    the GEMM alone on device-resident data (repeated back to
//                back between synchronisations, so that launch overhead
//                does not dominate small shapes);
//   per-call ms  what one agn call does around its kernel: allocate device
//                buffers, copy A and B in from pageable host memory, the
//                GEMM, copy C out, free.
//
// f32 is cublasSgemm (default math mode: no TF32); bf16 and f16 are
// cublasGemmEx with f32 output and CUBLAS_COMPUTE_32F; i8 is cublasGemmEx
// i8 x i8 -> i32 with CUBLAS_COMPUTE_32I. Only timings: the data is random.
//
// It links neither the driver nor cuBLAS (only libdl): both are opened with
// dlopen, libcuda.so.1 (or AGN_LIBCUDA) and libcublas.so.{13,12,11} (or
// AGN_LIBCUBLAS), so it starts everywhere; without them it prints
// "cublas_ref: skipped: <why>" and exits 0. The CUDA headers are used for
// types and constants only; their #defines (cuMemAlloc -> cuMemAlloc_v2)
// name the driver's versioned entry points.
//
//===----------------------------------------------------------------------===//

#include <cublas_api.h>
#include <cuda.h>

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

#define AGN_STRINGIFY_(x) #x
#define AGN_STRINGIFY(x) AGN_STRINGIFY_(x)

/// cublasGemmEx is overloaded in C++ (cublas_api.h adds an inline wrapper
/// taking a cudaDataType compute type): the exported one.
using GemmExFn = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t,
                                    cublasOperation_t, int, int, int,
                                    const void *, const void *, cudaDataType,
                                    int, const void *, cudaDataType, int,
                                    const void *, void *, cudaDataType, int,
                                    cublasComputeType_t, cublasGemmAlgo_t);
using CreateFn = decltype(&::cublasCreate_v2);
using SgemmFn = decltype(&::cublasSgemm_v2);
using GetVersionFn = decltype(&::cublasGetVersion_v2);

/// The entry points, found with dlsym under the names cuda.h maps them to.
struct Api {
#define AGN_CU_FUNCTIONS(X)                                                    \
  X(cuInit)                                                                    \
  X(cuDeviceGet)                                                               \
  X(cuDeviceGetName)                                                           \
  X(cuDevicePrimaryCtxRetain)                                                  \
  X(cuCtxPushCurrent)                                                          \
  X(cuCtxSynchronize)                                                          \
  X(cuMemAlloc)                                                                \
  X(cuMemFree)                                                                 \
  X(cuMemcpyHtoD)                                                              \
  X(cuMemcpyDtoH)                                                              \
  X(cuGetErrorString)
#define AGN_CUBLAS_FUNCTIONS(X)                                                \
  X(cublasCreate_v2, CreateFn)                                                 \
  X(cublasSgemm_v2, SgemmFn)                                                   \
  X(cublasGemmEx, GemmExFn)                                                    \
  X(cublasGetVersion_v2, GetVersionFn)
#define AGN_DECLARE(fn) decltype(&::fn) fn = nullptr;
  AGN_CU_FUNCTIONS(AGN_DECLARE)
#undef AGN_DECLARE
#define AGN_DECLARE(fn, type) type fn = nullptr;
  AGN_CUBLAS_FUNCTIONS(AGN_DECLARE)
#undef AGN_DECLARE
};

Api api;

[[noreturn]] void skip(const std::string &why) {
  std::printf("cublas_ref: skipped: %s\n", why.c_str());
  std::exit(0);
}

void *openFirst(const char *variable, std::vector<std::string> names,
                std::string &tried) {
  if (const char *path = std::getenv(variable))
    names = {path};
  for (const std::string &name : names) {
    if (void *handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL))
      return handle;
    tried += std::string(tried.empty() ? "" : "; ") + dlerror();
  }
  return nullptr;
}

void load() {
  std::string tried;
  void *cuda = openFirst("AGN_LIBCUDA", {"libcuda.so.1"}, tried);
  if (!cuda)
    skip("no CUDA driver: " + tried);
#define AGN_LOAD(fn)                                                           \
  api.fn = reinterpret_cast<decltype(api.fn)>(dlsym(cuda, AGN_STRINGIFY(fn))); \
  if (!api.fn)                                                                 \
    skip("the driver lacks " AGN_STRINGIFY(fn));
  AGN_CU_FUNCTIONS(AGN_LOAD)
#undef AGN_LOAD
  tried.clear();
  void *cublas =
      openFirst("AGN_LIBCUBLAS",
                {"libcublas.so.13", "libcublas.so.12", "libcublas.so.11",
                 "/usr/local/cuda/lib64/libcublas.so.13",
                 "/usr/local/cuda/lib64/libcublas.so.12"},
                tried);
  if (!cublas)
    skip("no cuBLAS: " + tried);
#define AGN_LOAD(fn, type)                                                     \
  api.fn = reinterpret_cast<type>(dlsym(cublas, #fn));                         \
  if (!api.fn)                                                                 \
    skip("cuBLAS lacks " #fn);
  AGN_CUBLAS_FUNCTIONS(AGN_LOAD)
#undef AGN_LOAD
}

void check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return;
  const char *message = nullptr;
  api.cuGetErrorString(result, &message);
  skip(std::string(what) + " failed: " + std::to_string(result) + " " +
       (message ? message : ""));
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2]
                      : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

//===----------------------------------------------------------------------===//
// Cases
//===----------------------------------------------------------------------===//

enum class Level { F32, BF16, F16, I8 };

struct Case {
  const char *level;
  Level kind;
  const char *shape;
  int64_t m, k, n;
};

size_t elementBytes(Level level, bool output) {
  if (output)
    return 4;
  return level == Level::F32 ? 4 : level == Level::I8 ? 1 : 2;
}

/// Random host bytes that are valid, modest values of the input type.
std::vector<uint8_t> randomInput(Level level, size_t count, std::mt19937 &rng) {
  std::vector<uint8_t> bytes(count * elementBytes(level, false));
  std::uniform_int_distribution<uint32_t> bits;
  for (size_t i = 0; i < count; ++i) {
    uint32_t r = bits(rng);
    switch (level) {
    case Level::F32: {
      // +-[0.25, 2): exponent 125 or 126 or 127, random mantissa.
      uint32_t word =
          (r & 0x80000000u) | ((125u + r % 3) << 23) | ((r >> 4) & 0x7fffffu);
      std::memcpy(&bytes[4 * i], &word, 4);
      break;
    }
    case Level::BF16: {
      uint16_t half = static_cast<uint16_t>(
          ((r >> 16) & 0x8000u) | ((125u + r % 3) << 7) | ((r >> 4) & 0x7fu));
      std::memcpy(&bytes[2 * i], &half, 2);
      break;
    }
    case Level::F16: {
      uint16_t half = static_cast<uint16_t>(
          ((r >> 16) & 0x8000u) | ((13u + r % 3) << 10) | ((r >> 4) & 0x3ffu));
      std::memcpy(&bytes[2 * i], &half, 2);
      break;
    }
    case Level::I8:
      bytes[i] = static_cast<uint8_t>(r);
      break;
    }
  }
  return bytes;
}

/// One row-major C = A B as cuBLAS's column-major C^T = B^T A^T.
cublasStatus_t gemm(cublasHandle_t handle, const Case &c, CUdeviceptr a,
                    CUdeviceptr b, CUdeviceptr out) {
  int m = static_cast<int>(c.m), k = static_cast<int>(c.k),
      n = static_cast<int>(c.n);
  void *A = reinterpret_cast<void *>(a), *B = reinterpret_cast<void *>(b),
       *C = reinterpret_cast<void *>(out);
  float one = 1, zero = 0;
  int32_t oneI = 1, zeroI = 0;
  switch (c.kind) {
  case Level::F32:
    return api.cublasSgemm_v2(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one,
                              static_cast<float *>(B), n,
                              static_cast<float *>(A), k, &zero,
                              static_cast<float *>(C), n);
  case Level::BF16:
  case Level::F16: {
    cudaDataType type = c.kind == Level::F16 ? CUDA_R_16F : CUDA_R_16BF;
    return api.cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, B,
                            type, n, A, type, k, &zero, C, CUDA_R_32F, n,
                            CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  }
  case Level::I8:
    return api.cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &oneI, B,
                            CUDA_R_8I, n, A, CUDA_R_8I, k, &zeroI, C,
                            CUDA_R_32I, n, CUBLAS_COMPUTE_32I,
                            CUBLAS_GEMM_DEFAULT);
  }
  return CUBLAS_STATUS_INVALID_VALUE;
}

} // namespace

int main(int argc, char **argv) {
  int callsLarge = 5, callsSmall = 20;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--calls-large=", 14) == 0)
      callsLarge = std::max(1, std::atoi(argv[i] + 14));
    else if (std::strncmp(argv[i], "--calls-small=", 14) == 0)
      callsSmall = std::max(1, std::atoi(argv[i] + 14));
    else {
      std::fprintf(stderr, "usage: cublas_ref [--calls-large=N] "
                           "[--calls-small=N]\n");
      return 2;
    }
  }

  load();
  check(api.cuInit(0), "cuInit");
  CUdevice device;
  const char *ordinal = std::getenv("AGN_GPU_DEVICE");
  check(api.cuDeviceGet(&device, ordinal ? std::atoi(ordinal) : 0),
        "cuDeviceGet");
  CUcontext context;
  check(api.cuDevicePrimaryCtxRetain(&context, device),
        "cuDevicePrimaryCtxRetain");
  check(api.cuCtxPushCurrent(context), "cuCtxPushCurrent");
  char name[256] = {0};
  api.cuDeviceGetName(name, sizeof name - 1, device);
  cublasHandle_t handle;
  if (cublasStatus_t s = api.cublasCreate_v2(&handle))
    skip("cublasCreate failed: " + std::to_string(s));
  int version = 0;
  api.cublasGetVersion_v2(handle, &version);

  const Case cases[] = {
      {"f32", Level::F32, "3136x576x64 (resnet18 l1)", 3136, 576, 64},
      {"bf16", Level::BF16, "3136x576x64 (resnet18 l1)", 3136, 576, 64},
      {"f16", Level::F16, "3136x576x64 (resnet18 l1)", 3136, 576, 64},
      {"i8", Level::I8, "3136x576x64 (resnet18 l1)", 3136, 576, 64},
      {"f32", Level::F32, "4096x4096x4096", 4096, 4096, 4096},
      {"bf16", Level::BF16, "4096x4096x4096", 4096, 4096, 4096},
      {"f16", Level::F16, "4096x4096x4096", 4096, 4096, 4096},
      {"i8", Level::I8, "4096x4096x4096", 4096, 4096, 4096},
  };
  std::printf("cublas_ref: cuBLAS %d on %s. kernel ms: the GEMM alone on "
              "device data; per-call ms: allocate, copy in, GEMM,\n"
              "  copy out, free (as one agn call does); GFLOP/s from kernel "
              "ms.\n\n",
              version, name);
  std::printf("%-5s %-26s %5s %10s %9s %12s\n", "level", "shape (MxKxN)",
              "calls", "kernel ms", "GFLOP/s", "per-call ms");
  std::fflush(stdout);

  std::mt19937 rng(13);
  for (const Case &c : cases) {
    const bool large = c.m * c.n * c.k >= (int64_t(1) << 32);
    const int calls = large ? callsLarge : callsSmall;
    std::vector<uint8_t> a = randomInput(c.kind, c.m * c.k, rng);
    std::vector<uint8_t> b = randomInput(c.kind, c.k * c.n, rng);
    std::vector<uint8_t> out(c.m * c.n * elementBytes(c.kind, true));
    CUdeviceptr da, db, dc;
    check(api.cuMemAlloc(&da, a.size()), "cuMemAlloc");
    check(api.cuMemAlloc(&db, b.size()), "cuMemAlloc");
    check(api.cuMemAlloc(&dc, out.size()), "cuMemAlloc");
    check(api.cuMemcpyHtoD(da, a.data(), a.size()), "cuMemcpyHtoD");
    check(api.cuMemcpyHtoD(db, b.data(), b.size()), "cuMemcpyHtoD");

    // Warm-up (cuBLAS picks and loads its kernel), which also tells how
    // many GEMMs make a sample of about 20 ms.
    auto before = std::chrono::steady_clock::now();
    cublasStatus_t status = gemm(handle, c, da, db, dc);
    check(api.cuCtxSynchronize(), "cuCtxSynchronize");
    double once = seconds(std::chrono::steady_clock::now() - before);
    if (status != CUBLAS_STATUS_SUCCESS) {
      std::printf("%-5s %-26s skipped: cuBLAS status %d\n", c.level, c.shape,
                  static_cast<int>(status));
      api.cuMemFree(da), api.cuMemFree(db), api.cuMemFree(dc);
      continue;
    }
    int repeat =
        std::clamp(static_cast<int>(0.02 / std::max(once, 1e-6)), 1, 1000);
    std::vector<double> kernel, perCall;
    for (int call = 0; call < calls; ++call) {
      before = std::chrono::steady_clock::now();
      for (int r = 0; r < repeat; ++r)
        gemm(handle, c, da, db, dc);
      check(api.cuCtxSynchronize(), "cuCtxSynchronize");
      kernel.push_back(seconds(std::chrono::steady_clock::now() - before) /
                       repeat);
    }
    api.cuMemFree(da), api.cuMemFree(db), api.cuMemFree(dc);
    for (int call = 0; call <= calls; ++call) {
      before = std::chrono::steady_clock::now();
      check(api.cuMemAlloc(&da, a.size()), "cuMemAlloc");
      check(api.cuMemAlloc(&db, b.size()), "cuMemAlloc");
      check(api.cuMemAlloc(&dc, out.size()), "cuMemAlloc");
      check(api.cuMemcpyHtoD(da, a.data(), a.size()), "cuMemcpyHtoD");
      check(api.cuMemcpyHtoD(db, b.data(), b.size()), "cuMemcpyHtoD");
      gemm(handle, c, da, db, dc);
      check(api.cuMemcpyDtoH(out.data(), dc, out.size()), "cuMemcpyDtoH");
      api.cuMemFree(da), api.cuMemFree(db), api.cuMemFree(dc);
      if (call > 0)
        perCall.push_back(seconds(std::chrono::steady_clock::now() - before));
    }
    double ms = median(kernel) * 1e3;
    std::printf("%-5s %-26s %5d %10.3f %9.1f %12.3f\n", c.level, c.shape, calls,
                ms, 2.0 * c.m * c.n * c.k / ms / 1e6, median(perCall) * 1e3);
    std::fflush(stdout);
  }
  return 0;
}
