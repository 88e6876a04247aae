package hyenac.launch;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The Main-Class of hyenac's jars, compiled for Java 8 so that an old {@code java -jar} can load it: on a Java older
 * than {@value #NEEDED} it says which Java is needed instead of failing with UnsupportedClassVersionError; otherwise it
 * starts the class the manifest names as {@value #MAIN_ATTRIBUTE}.
 */
public final class Launcher {
    static final int NEEDED = 25;
    static final String MAIN_ATTRIBUTE = "Hyenac-Main";

    private Launcher() {}

    public static void main(String[] args) throws Throwable {
        String version = System.getProperty("java.specification.version", "?");
        File jar = jar();
        String name = jar == null ? "this jar" : jar.getName();
        if (major(version) < NEEDED) {
            System.err.println(name + " needs Java " + NEEDED + " or newer, but runs on Java " + version + " ("
                    + System.getProperty("java.home") + ").");
            System.err.println("Run it with the java of a JDK " + NEEDED + ", e.g. /usr/lib/jvm/temurin-" + NEEDED
                    + "-jdk-amd64/bin/java -jar " + (jar == null ? "FILE.jar" : jar.getPath()) + " …, or put that JDK first on PATH.");
            System.exit(2);
        }
        String main = mainClass(jar);
        if (main == null) {
            System.err.println(name + ": its manifest names no " + MAIN_ATTRIBUTE + " class; rebuild the jar");
            System.exit(2);
        }
        Method entry = Class.forName(main).getMethod("main", String[].class);
        try {
            entry.invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();  // as if started directly
        }
    }

    /** "1.8" → 8, "17" → 17, "25.0.1" → 25; unreadable counts as old. */
    static int major(String version) {
        try {
            String[] parts = version.split("\\.");
            return Integer.parseInt(parts[0].equals("1") && parts.length > 1 ? parts[1] : parts[0]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static File jar() {
        try {
            File f = new File(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return f.isFile() ? f : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static String mainClass(File jar) throws java.io.IOException {
        if (jar == null) return null;
        try (JarFile f = new JarFile(jar)) {
            Manifest m = f.getManifest();
            return m == null ? null : m.getMainAttributes().getValue(MAIN_ATTRIBUTE);
        }
    }
}
