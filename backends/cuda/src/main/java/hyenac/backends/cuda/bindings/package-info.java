/**
 * The CUDA backend's bindings layer: hand-written FFM downcalls, no JNI and no native build step. It is the
 * bottom of the module and knows nothing of graphs or plans, so that running plans ({@code exec}) and checking a
 * device ({@code check}) share one set of checked calls and one wording of every failure.
 *
 * <ul>
 *   <li>{@link Driver}: the Driver API in {@code libcuda.so.1} ({@code _v2} entry points), opened per GPU as a
 *       {@link CudaContext} (the device's primary context, which cuBLASLt and cuFFT share), described by
 *       {@link DeviceInfo}; {@link KernelArgs} is a launch's argument block.</li>
 *   <li>{@link Nvrtc}: run-time compilation to CUBIN/PTX; compile errors carry the log and the saved source.</li>
 *   <li>{@link CublasLt}: bf16/fp16/fp32 products with fp32 accumulation and fused bias/GELU/ReLU epilogues.</li>
 *   <li>{@link Cufft}: batched R2C/C2R transforms.</li>
 *   <li>{@link Nccl}: NCCL's communicators and the collectives context parallelism needs (grouped send/receive,
 *       all-gather, all-to-all), loaded only when a group of GPUs starts.</li>
 * </ul>
 *
 * <p>Every status is checked. A failure throws {@link CudaException} naming the call, the library's error name
 * and description, and what was being done ({@link CudaErrors} words it); out-of-memory throws
 * {@link CudaOutOfMemoryException} with the request and the free/total memory; a missing library, a library too
 * old for an entry point, or no GPU throws {@link CudaUnavailableException} with one sentence ending in
 * "use --target cpu".
 *
 * <p>Libraries are found by soname through the dynamic loader, or at the path in {@code -Dhyenac.cuda.libcuda},
 * {@code -Dhyenac.cuda.libnvrtc}, {@code -Dhyenac.cuda.libcublaslt}, {@code -Dhyenac.cuda.libcufft} or
 * {@code -Dhyenac.cuda.libnccl}
 * ({@link CudaLibrary} lists them; {@code NativeLibrary} loads them). The JVM must run with
 * {@code --enable-native-access=ALL-UNNAMED}. {@link hyenac.backends.cuda.check.DeviceCheck} checks the whole
 * layer on a GPU machine in one run.
 */
package hyenac.backends.cuda.bindings;
