package io.nightshift.scheduler.store;

import java.util.List;

/**
 * One page of a list, newest or first first, with the cursor for the next page (null at the end).
 */
public record Page<T>(List<T> items, String next) {
  public Page {
    items = List.copyOf(items);
  }

  /** Fetch {@code limit + 1} rows and pass them here: the extra row only says there is more. */
  public static <T> Page<T> of(
      List<T> rowsPlusOne, int limit, java.util.function.Function<T, String> cursor) {
    if (rowsPlusOne.size() <= limit) {
      return new Page<>(rowsPlusOne, null);
    }
    List<T> items = rowsPlusOne.subList(0, limit);
    return new Page<>(items, cursor.apply(items.get(limit - 1)));
  }
}
