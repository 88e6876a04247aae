/**
 * Communicators between GPUs: {@link hyenac.backends.cuda.comm.NcclGroup}, the runtime's
 * {@link hyenac.runtime.comm.Communicator} over NCCL, N ranks as threads of one process on the first N GPUs. It
 * stands on {@link hyenac.backends.cuda.bindings} (the driver and {@link hyenac.backends.cuda.bindings.Nccl}) and the
 * runtime's contract alone; context parallelism on GPUs runs its plan through it, as the CPU's does through
 * {@link hyenac.runtime.comm.InProcessGroup}. {@link hyenac.backends.cuda.check.NcclCheck} checks it on a GPU machine.
 */
package hyenac.backends.cuda.comm;
