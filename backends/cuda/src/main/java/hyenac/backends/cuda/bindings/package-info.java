/**
 * The CUDA backend's bindings layer: hand-written FFM downcalls, no JNI and no native build step.
 *
 * <ul>
 *   <li>{@link hyenac.backends.cuda.Driver}: the Driver API in {@code libcuda.so.1} ({@code _v2} entry points),
 *       opened per GPU as a {@link hyenac.backends.cuda.CudaContext} (the device's primary context, which
 *       cuBLASLt and cuFFT share).</li>
 *   <li>{@link hyenac.backends.cuda.Nvrtc}: run-time compilation to CUBIN/PTX; compile errors carry the log and
 *       the saved source.</li>
 *   <li>{@link hyenac.backends.cuda.CublasLt}: bf16/fp16/fp32 products with fp32 accumulation and fused
 *       bias/GELU/ReLU epilogues.</li>
 *   <li>{@link hyenac.backends.cuda.Cufft}: batched R2C/C2R transforms.</li>
 * </ul>
 *
 * <p>Every status is checked. A failure throws {@link hyenac.backends.cuda.CudaException} naming the call,
 * the library's error name and description, and what was being done; out-of-memory throws
 * {@link hyenac.backends.cuda.CudaOutOfMemoryException} with the request and the free/total memory; a missing
 * library, a library too old for an entry point, or no GPU throws
 * {@link hyenac.backends.cuda.CudaUnavailableException} with one sentence ending in "use --target cpu".
 *
 * <p>Libraries are found by soname through the dynamic loader, or at the path in {@code -Dhyenac.cuda.libcuda},
 * {@code -Dhyenac.cuda.libnvrtc}, {@code -Dhyenac.cuda.libcublaslt} or {@code -Dhyenac.cuda.libcufft}. The
 * JVM must run with {@code --enable-native-access=ALL-UNNAMED}. {@link hyenac.backends.cuda.DeviceCheck} checks
 * the whole layer on a GPU machine in one run.
 */
package hyenac.backends.cuda.bindings;
