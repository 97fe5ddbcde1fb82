/*===- agn-c/Compiler.h - Compile and run models from C -----------*- C -*-===*\
|*                                                                            *|
|* Part of the agn project.                                                   *|
|*                                                                            *|
|* A C ABI to compile an MLIR module (upstream ops on tensors, agn ops, or    *|
|* both) for this CPU and call its entry function on dense arrays: what the   *|
|* Python package reaches through ctypes, and what any C or C++ host can use  *|
|* to JIT-run a model. Every function is thread-safe; one model may be run   *|
|* from one thread at a time.                                                 *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef AGN_C_COMPILER_H
#define AGN_C_COMPILER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define AGN_CAPI_EXPORT __declspec(dllexport)
#else
#define AGN_CAPI_EXPORT __attribute__((visibility("default")))
#endif

/// The largest rank of an entry function's argument or result.
#define AGN_MAX_RANK 8

/// A compiled model: the JIT-compiled module and its entry function.
typedef struct agn_model agn_model;

/// Compiles `mlir_text`. `passes` is a textual pass pipeline run first (for
/// example "agn-adaptive-pipeline{levels=i8,f32}"), NULL or "" for none; then
/// agn-lower-to-llvm-pipeline lowers the module for this CPU. `entry` names
/// the function to call, NULL for "main" or the module's only public
/// function. Entry arguments and results must be ranked tensors of f32, f64,
/// f16, i64, i32, i8, i1 or index, of rank at most AGN_MAX_RANK. Returns NULL
/// on failure; agn_last_error() then says why (diagnostics included).
AGN_CAPI_EXPORT agn_model *
agn_model_compile(const char *mlir_text, const char *passes, const char *entry);

/// agn_model_compile with the model's kernels on up to `threads` threads
/// (OpenMP parallel regions: LLVM's libomp, loaded with the model); 1 is
/// agn_model_compile. Returns NULL, with agn_last_error() set, for `threads`
/// below 1 or a failed compilation.
AGN_CAPI_EXPORT agn_model *agn_model_compile_threads(const char *mlir_text,
                                                     const char *passes,
                                                     const char *entry,
                                                     int64_t threads);

/// agn_model_compile with `lowering_options`, the options of
/// agn-lower-to-llvm-pipeline as on the command line after its name
/// ("threads=2 profile=true profile-model=net"; NULL or "" for the defaults).
/// Returns NULL, with agn_last_error() set, for a bad option or a failed
/// compilation.
AGN_CAPI_EXPORT agn_model *
agn_model_compile_options(const char *mlir_text, const char *passes,
                          const char *entry, const char *lowering_options);

/// agn_model_compile for NVIDIA GPUs: after `passes`,
/// agn-lower-to-nvvm-pipeline with `lowering_options`, its options as on the
/// command line after its name ("chip=sm_90 format=isa"; NULL or "" for the
/// defaults). The module's contractions become kernels that run through
/// libagn_gpu_runtime (which this library links: agn_gpu_available() and
/// agn_gpu_unavailable_reason() in agn-c/GpuRuntime.h say whether they can);
/// the model compiles without a GPU, and agn_model_run fails with the GPU
/// runtime's message when its kernels cannot run. Returns NULL, with
/// agn_last_error() set, for a bad option or a failed compilation.
AGN_CAPI_EXPORT agn_model *agn_model_compile_gpu(const char *mlir_text,
                                                 const char *passes,
                                                 const char *entry,
                                                 const char *lowering_options);

/// Returns 1 when `model` runs kernels on a GPU, 0 when it runs on the CPU
/// only or is NULL.
AGN_CAPI_EXPORT int agn_model_runs_on_gpu(const agn_model *model);

/// Returns the calling thread's last error message ("" if none).
AGN_CAPI_EXPORT const char *agn_last_error(void);

/// Frees `model` (NULL is ignored).
AGN_CAPI_EXPORT void agn_model_destroy(agn_model *model);

/// Returns the number of arguments / results of the entry function.
AGN_CAPI_EXPORT int64_t agn_model_num_inputs(const agn_model *model);
AGN_CAPI_EXPORT int64_t agn_model_num_results(const agn_model *model);

/// Describes argument (or result) `index`: its rank, its shape (-1 for a
/// dynamic dimension) in shape[0, rank), and its NumPy dtype string ("<f4",
/// "<f8", "<f2", "<i8", "<i4", "|i1", "|b1"), valid while the model lives.
/// Returns 0, or -1 for a bad index.
AGN_CAPI_EXPORT int64_t agn_model_input(const agn_model *model, int64_t index,
                                        int64_t *rank,
                                        int64_t shape[AGN_MAX_RANK],
                                        const char **dtype);
AGN_CAPI_EXPORT int64_t agn_model_result(const agn_model *model, int64_t index,
                                         int64_t *rank,
                                         int64_t shape[AGN_MAX_RANK],
                                         const char **dtype);

/// Returns the module's IR after the `passes` pipeline and before lowering
/// (for inspection: units, controllers, versions), valid while the model
/// lives.
AGN_CAPI_EXPORT const char *agn_model_ir(const agn_model *model);

/// Returns the number of stages the model's compilation went through (agn
/// passes when there were any, lowering, translation to LLVM IR, LLVM
/// optimization, machine code).
AGN_CAPI_EXPORT int64_t agn_model_num_compile_stages(const agn_model *model);

/// Returns the name of compilation stage `index` (valid while the model
/// lives) and sets `*seconds` to the time it took; NULL when `index` is out
/// of range.
AGN_CAPI_EXPORT const char *
agn_model_compile_stage(const agn_model *model, int64_t index, double *seconds);

/// Calls the entry function. `inputs[i]` points to the contiguous row-major
/// data of argument i, whose shape is input_shapes[i * AGN_MAX_RANK + d] for
/// d below the argument's rank; each must match the argument's static
/// dimensions. On success, `results[i]` receives a new contiguous buffer with
/// result i (free it with agn_buffer_free) and result_shapes[i * AGN_MAX_RANK
/// + d] its shape. Returns 0, or a negative value with agn_last_error() set.
AGN_CAPI_EXPORT int64_t agn_model_run(agn_model *model,
                                      const void *const *inputs,
                                      const int64_t *input_shapes,
                                      void **results, int64_t *result_shapes);

/// Frees a result buffer returned by agn_model_run (NULL is ignored).
AGN_CAPI_EXPORT void agn_buffer_free(void *buffer);

/// Returns the names of the pass pipelines whose options
/// agn_pipeline_options describes ("agn-adaptive-pipeline" and
/// "agn-lower-to-llvm-pipeline"), one per line, each line ending in '\n';
/// valid for the life of the process.
AGN_CAPI_EXPORT const char *agn_pipelines(void);

/// Returns the options of the registered pass pipeline `pipeline` (a name
/// agn_pipelines lists), one per line in the order `mlir-opt --help` prints
/// them (by name): "<name>\t<description>\n", with the name as the pipeline
/// text spells it ("i4-block-size"); "" for a pipeline without options.
/// Valid for the life of the process. Returns NULL for an unknown or NULL
/// `pipeline`; agn_last_error() then says why and lists the known ones.
AGN_CAPI_EXPORT const char *agn_pipeline_options(const char *pipeline);

#ifdef __cplusplus
}
#endif

#endif /* AGN_C_COMPILER_H */
