package io.nightshift.scheduler.job;

import io.nightshift.scheduler.job.Firing.Due;
import io.nightshift.scheduler.job.Firing.Result;
import io.nightshift.scheduler.store.Sql;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * What one {@link Firing#fireAll} learned of the database: once it could not be reached, every fire
 * after it fails at once (to be tried again by its lane), instead of each batch and each fire of a
 * job fired more than once waiting the pool's timeout in turn.
 */
final class FireOutage {
  private RuntimeException unavailable;

  /** Whether the database is known to be unreachable, counting {@code failure}. */
  boolean noted(RuntimeException failure) {
    if (unavailable == null && Sql.isUnavailable(failure)) {
      unavailable = failure;
    }
    return unavailable != null;
  }

  boolean down() {
    return unavailable != null;
  }

  List<Result> failAll(int fires) {
    return Collections.nCopies(fires, Result.failed(unavailable));
  }

  /** One fire claimed (or recorded) on its own by {@code how}; never throws. */
  Result alone(Due due, Function<Due, Result> how) {
    if (down()) {
      return failAll(1).get(0);
    }
    try {
      return how.apply(due);
    } catch (RuntimeException e) {
      noted(e);
      return Result.failed(e);
    }
  }
}
