package io.nightshift.scheduler.store;

import java.util.regex.Pattern;

/** JDBC URLs as Nightshift uses and shows them. */
public final class JdbcUrls {
  private static final Pattern USER_INFO = Pattern.compile("(//[^/@:?;]*):[^/@]*@");
  private static final Pattern PASSWORD_OPTION =
      Pattern.compile("(?i)((?:password|pwd)[^=&;]*=)[^&;\\s']*");

  private JdbcUrls() {}

  /**
   * {@code jdbc:mariadb:} served by the MySQL driver (Connector/J speaks MariaDB's protocol, and
   * the jOOQ dialect is MYSQL on both): the same URL with the {@code jdbc:mysql:} prefix.
   */
  public static String forDriver(String url) {
    return url.startsWith("jdbc:mariadb:") ? "jdbc:mysql:" + url.substring(13) : url;
  }

  /**
   * {@code text} (a URL, or a message that quotes one) with a password in it, as {@code
   * //user:password@host} or a {@code password=} option, replaced by {@code ******}.
   */
  public static String masked(String text) {
    if (text == null) {
      return null;
    }
    String out = USER_INFO.matcher(text).replaceAll("$1:******@");
    return PASSWORD_OPTION.matcher(out).replaceAll("$1******");
  }
}
