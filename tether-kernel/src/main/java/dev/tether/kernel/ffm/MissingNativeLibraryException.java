package dev.tether.kernel.ffm;

/** A system library tether calls through FFM is not installed; names the package that provides it. */
public final class MissingNativeLibraryException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String debianPackage;

    public MissingNativeLibraryException(String library, String debianPackage) {
        super(library + " is not installed (Debian/Ubuntu package: " + debianPackage + ")");
        this.debianPackage = debianPackage;
    }

    public String debianPackage() {
        return debianPackage;
    }
}
