package io.nightshift.web.cli;

import java.util.ArrayList;
import java.util.List;

/** A line diff (longest common subsequence): lines kept start with a space, others with - or +. */
final class LineDiff {
  private LineDiff() {}

  /** Every line of both texts, marked; empty when they are the same. */
  static List<String> unified(List<String> a, List<String> b) {
    int[][] lcs = new int[a.size() + 1][b.size() + 1];
    for (int i = a.size() - 1; i >= 0; i--) {
      for (int j = b.size() - 1; j >= 0; j--) {
        lcs[i][j] =
            a.get(i).equals(b.get(j))
                ? lcs[i + 1][j + 1] + 1
                : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    List<String> out = new ArrayList<>();
    boolean changed = false;
    int i = 0;
    int j = 0;
    while (i < a.size() || j < b.size()) {
      if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
        out.add("  " + a.get(i));
        i++;
        j++;
      } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
        out.add("+ " + b.get(j++));
        changed = true;
      } else {
        out.add("- " + a.get(i++));
        changed = true;
      }
    }
    return changed ? out : List.of();
  }
}
