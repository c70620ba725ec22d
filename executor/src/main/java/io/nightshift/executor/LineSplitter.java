package io.nightshift.executor;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns a byte stream into lines as the bytes arrive: UTF-8 with replacement (binary output cannot
 * break anything), {@code \n} or {@code \r\n} ends a line, NUL becomes U+FFFD. Keeps at most {@code
 * keep} chars of a line and counts the rest, so memory stays bounded whatever the output. Not
 * thread-safe: one splitter per stream.
 */
final class LineSplitter {

  /** Receives each line: the kept chars and how many more chars the line had. */
  interface Lines {
    void line(String kept, long overflow);
  }

  private static final int CHUNK = 8192;

  private final CharsetDecoder decoder =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private final ByteBuffer bytes = ByteBuffer.allocate(CHUNK + 8);
  private final CharBuffer chars = CharBuffer.allocate(CHUNK + 8);
  private final int keep;
  private final Lines out;
  private final StringBuilder line = new StringBuilder();
  private long overflow;
  private boolean pendingCr;
  private boolean finished;

  LineSplitter(int keep, Lines out) {
    this.keep = keep;
    this.out = out;
  }

  void feed(byte[] data, int offset, int length) {
    int off = offset;
    int left = length;
    while (left > 0) {
      int n = Math.min(left, bytes.remaining());
      bytes.put(data, off, n);
      off += n;
      left -= n;
      bytes.flip();
      decode(false);
      bytes.compact();
    }
  }

  /** Ends the stream: a last line without a newline is still a line. */
  void finish() {
    if (finished) {
      return;
    }
    finished = true;
    bytes.flip();
    decode(true);
    decoder.flush(chars);
    drain();
    if (pendingCr) {
      append('\r');
      pendingCr = false;
    }
    if (line.length() > 0 || overflow > 0) {
      emit();
    }
  }

  private void decode(boolean endOfInput) {
    while (true) {
      CoderResult result = decoder.decode(bytes, chars, endOfInput);
      drain();
      if (result.isUnderflow()) {
        return;
      }
    }
  }

  private void drain() {
    chars.flip();
    while (chars.hasRemaining()) {
      char c = chars.get();
      if (pendingCr) {
        pendingCr = false;
        if (c == '\n') {
          emit();
          continue;
        }
        append('\r');
      }
      if (c == '\n') {
        emit();
      } else if (c == '\r') {
        pendingCr = true;
      } else {
        append(c == '\0' ? '\uFFFD' : c);
      }
    }
    chars.clear();
  }

  private void append(char c) {
    if (line.length() < keep) {
      line.append(c);
    } else {
      overflow++;
    }
  }

  private void emit() {
    String kept = line.toString();
    long more = overflow;
    line.setLength(0);
    overflow = 0;
    out.line(kept, more);
  }
}
