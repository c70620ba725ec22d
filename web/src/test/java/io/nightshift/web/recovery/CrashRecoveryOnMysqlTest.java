package io.nightshift.web.recovery;

import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.RedisProcess;
import org.junit.jupiter.api.Test;

/** {@link CrashAndRecovery} on MySQL + Redis. */
class CrashRecoveryOnMysqlTest extends CrashAndRecovery {
  @Test
  void on_mysql_and_redis_a_killed_service_leaves_nothing_running_after_restart() throws Exception {
    DatabaseSettings mysql = TestDatabases.cleanMysql();
    try (RedisProcess redis = RedisProcess.start()) {
      crashAndRecover(mysql.url(), mysql.user(), mysql.password(), redis.url());
    }
  }
}
