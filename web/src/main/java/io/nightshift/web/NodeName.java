package io.nightshift.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * This node's name when {@code node} is not configured: the host name plus an id persisted in the
 * data directory ({@code node.id}), so that a restarted node keeps its name (and finds the steps
 * its previous incarnation left) while a second node on the same host gets another one. The file is
 * locked while the node runs; a second node on the same data directory finds it locked and takes
 * the next slot ({@code node-1.id}, ...), with an id of its own.
 */
final class NodeName implements AutoCloseable {
  private static final int SLOTS = 64;

  private final String name;
  private final FileChannel channel;
  private final FileLock lock;

  private NodeName(String name, FileChannel channel, FileLock lock) {
    this.name = name;
    this.channel = channel;
    this.lock = lock;
  }

  String name() {
    return name;
  }

  /** Claims the first slot of {@code dataDir} no running node holds. */
  static NodeName claim(Path dataDir, String host) {
    try {
      Files.createDirectories(dataDir);
      for (int slot = 0; slot < SLOTS; slot++) {
        Path file = dataDir.resolve(slot == 0 ? "node.id" : "node-" + slot + ".id");
        FileChannel channel =
            FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
          lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null;
        }
        if (lock == null) {
          channel.close();
          continue;
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        String id = read(channel);
        if (!id.matches("[0-9a-f]{8}")) {
          id = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
          channel.truncate(0);
          channel.write(java.nio.ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.UTF_8)), 0);
          channel.force(true);
        }
        return new NodeName(host + "-" + id, channel, lock);
      }
      throw new IllegalStateException(
          "more than " + SLOTS + " nodes run on data directory " + dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot claim a node id in " + dataDir, e);
    }
  }

  private static String read(FileChannel channel) throws IOException {
    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(64);
    channel.read(buffer, 0);
    return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).trim();
  }

  /** Releases the slot (at shutdown); the id stays in the file for the next start. */
  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // the process is stopping; the lock goes with it
    }
  }
}
