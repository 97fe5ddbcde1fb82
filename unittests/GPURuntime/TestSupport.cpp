//===- TestSupport.cpp - Helpers of the GPU runtime tests -----------------===//
//
// Part of the agn project.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>

namespace agn::gpu::test {

namespace {
bool ChildFailed = false;
} // namespace

void childCheck(bool ok, const char *what, const char *file, int line) {
  if (ok)
    return;
  ChildFailed = true;
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
}

void runChild(const char *driver, void (*scenario)()) {
  if (driver)
    ::setenv("AGN_LIBCUDA", driver, 1);
  else
    ::unsetenv("AGN_LIBCUDA");
  scenario();
  std::fflush(nullptr);
  std::_Exit(ChildFailed ? 1 : 0);
}

int occurrences(const std::string &text, const std::string &part) {
  int count = 0;
  for (size_t at = text.find(part); at != std::string::npos;
       at = text.find(part, at + part.size()))
    ++count;
  return count;
}

FakeCuda::FakeCuda(const char *path)
    : Handle(::dlopen(path, RTLD_NOW | RTLD_LOCAL)) {
  if (!Handle) {
    std::fprintf(stderr, "cannot open the fake driver: %s\n", ::dlerror());
    std::_Exit(2);
  }
}

template <typename Fn> static Fn lookup(void *handle, const char *name) {
  auto fn = reinterpret_cast<Fn>(::dlsym(handle, name));
  if (!fn) {
    std::fprintf(stderr, "the fake driver lacks %s\n", name);
    std::_Exit(2);
  }
  return fn;
}

long FakeCuda::counter(const char *name) const {
  return lookup<long (*)(const char *)>(Handle, "fake_cuda_counter")(name);
}

void FakeCuda::set(const char *name, long value) const {
  lookup<void (*)(const char *, long)>(Handle, "fake_cuda_set")(name, value);
}

int FakeCuda::contextDepth() const {
  return lookup<int (*)()>(Handle, "fake_cuda_context_depth")();
}

void *FakeCuda::registeredPointer() const {
  return lookup<void *(*)()>(Handle, "fake_cuda_registered_pointer")();
}

} // namespace agn::gpu::test
