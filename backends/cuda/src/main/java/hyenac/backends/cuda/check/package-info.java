/**
 * Device checks: main classes run by hand on a GPU machine, one line per check (PASS, FAIL, INFO or SKIP),
 * exiting 0 when none failed. {@link DeviceCheck} checks the bindings (driver and device, NVRTC, launches,
 * timing, graph replay, cuBLASLt, cuFFT, and how the expected failures read); {@link AttentionCheck} checks the
 * tensor-core attention kernel against the CPU reference and times it; {@link BlockedConvCheck} does the same for the
 * two-stage blocked convolution (as the Hyena core), timing it beside the direct kernel; {@link NcclCheck} checks the
 * NCCL bindings and {@link hyenac.backends.cuda.comm.NcclGroup} against the in-process ranks.
 *
 * <p>They stand apart because they are tools, not part of running a model: nothing else in the module depends
 * on them, and they use only the public surface of {@link hyenac.backends.cuda.bindings} (and of
 * {@link hyenac.backends.cuda.comm}), so they check what its users see. Whole models on the GPU against the CPU executor are checked by conformance's {@code GpuCheck}.
 */
package hyenac.backends.cuda.check;
