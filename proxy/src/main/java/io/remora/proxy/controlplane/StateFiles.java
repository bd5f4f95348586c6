package io.remora.proxy.controlplane;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes the files of the state directory so a crash never leaves half a file: the text goes to a temporary file
 * beside the target, which then replaces it in one rename. A reader sees the old content or the new one.
 */
public final class StateFiles {
    private StateFiles() {
    }

    /**
     * Replaces {@code file} with {@code text} atomically, creating its directory when missing.
     *
     * @param ownerOnly readable by its owner only (mode 0600), for private keys; else 0644
     */
    public static void write(Path file, String text, boolean ownerOnly) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            try {
                // Set before the content is written, so a key is never readable by others, not even briefly.
                Files.setPosixFilePermissions(temp,
                        PosixFilePermissions.fromString(ownerOnly ? "rw-------" : "rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // Not a POSIX file system: nothing finer than the directory's own protection exists.
            }
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
