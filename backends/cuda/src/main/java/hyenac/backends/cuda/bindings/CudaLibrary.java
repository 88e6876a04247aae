package hyenac.backends.cuda.bindings;

import java.util.List;

/**
 * The native libraries the cuda target uses: the name each is known by, the system property that overrides
 * where it is loaded from, the sonames tried otherwise, and the words used when it is missing.
 */
public enum CudaLibrary {
    DRIVER("libcuda.so.1", "hyenac.cuda.libcuda", List.of("libcuda.so.1"),
            "no NVIDIA driver found",
            "the cuda target needs an NVIDIA GPU and driver; use --target cpu",
            "the NVIDIA driver is too old for hyenac, which needs one for CUDA 12 or newer"),
    // libnvrtc.so is what the GPU machine has; the versioned names cover a toolkit without the dev symlink.
    NVRTC("libnvrtc.so", "hyenac.cuda.libnvrtc", List.of("libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12"),
            "NVRTC not found",
            "the cuda target compiles its kernels at run time with NVRTC from the CUDA toolkit"
                    + " (set -Dhyenac.cuda.libnvrtc=PATH if it is installed elsewhere); use --target cpu",
            "this NVRTC is too old for hyenac, which needs CUDA 12 or newer"),
    CUBLASLT("libcublasLt.so.13", "hyenac.cuda.libcublaslt",
            List.of("libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"),
            "cuBLASLt not found",
            "the cuda target runs its matrix products with cuBLASLt from the CUDA toolkit"
                    + " (set -Dhyenac.cuda.libcublaslt=PATH if it is installed elsewhere); use --target cpu",
            "this cuBLASLt is too old for hyenac, which needs CUDA 12 or newer"),
    CUFFT("libcufft.so.12", "hyenac.cuda.libcufft", List.of("libcufft.so.12", "libcufft.so.11", "libcufft.so"),
            "cuFFT not found",
            "the cuda target runs its long FFT convolutions with cuFFT from the CUDA toolkit"
                    + " (set -Dhyenac.cuda.libcufft=PATH if it is installed elsewhere); use --target cpu",
            "this cuFFT is too old for hyenac, which needs CUDA 12 or newer"),
    // Not part of the CUDA toolkit: the GPU machines have it from the nvidia-nccl Python package (what PyTorch
    // loads), which Nccl.load also looks for when the loader's search path has none.
    NCCL("libnccl.so.2", "hyenac.cuda.libnccl", List.of("libnccl.so.2", "libnccl.so"),
            "NCCL not found",
            "context parallelism on GPUs needs NCCL to exchange between the GPUs"
                    + " (set -Dhyenac.cuda.libnccl=PATH if it is installed elsewhere); use --target cpu",
            "this NCCL is too old for hyenac, which needs NCCL 2.7 or newer (grouped send and receive)");

    private final String displayName;
    private final String property;
    private final List<String> sonames;
    private final String missingHeadline;
    private final String advice;
    private final String tooOld;

    CudaLibrary(String displayName, String property, List<String> sonames, String missingHeadline, String advice,
                String tooOld) {
        this.displayName = displayName;
        this.property = property;
        this.sonames = sonames;
        this.missingHeadline = missingHeadline;
        this.advice = advice;
        this.tooOld = tooOld;
    }

    /** The soname people know it by, as used in messages. */
    public String displayName() { return displayName; }

    /** The system property that, when set, names the one file (or soname) to load. */
    public String property() { return property; }

    /** Names tried in order through the dynamic loader's search path when the property is not set. */
    public List<String> sonames() { return sonames; }

    /** The whole message for a library that could not be loaded; {@code why} says what was tried. */
    public String missingMessage(String why) {
        return missingHeadline + ": " + displayName + " could not be loaded (" + why + "); " + advice;
    }

    /** The message for a library that loaded but lacks an entry point hyenac calls. */
    public String missingSymbolMessage(String loadedFrom, String symbol) {
        return displayName + " (loaded as " + loadedFrom + ") has no symbol " + symbol + "; " + tooOld;
    }
}
