package io.nightshift.scheduler.secrets;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jooq.DSLContext;

/**
 * Encrypts secret values for storage: AES-256-GCM with a random 12-byte nonce per value, stored as
 * {@code nsenc:v1:<key id>:<base64url(nonce + ciphertext + tag)>}. The key id (8 hex chars derived
 * from the key) says which key sealed a value, so keys can rotate: values are sealed with the
 * current key and opened with whichever configured key (current or old) has their id. A value
 * without the prefix was stored in clear before encryption existed and reads as it is.
 */
public final class SecretCipher {
  public static final String PREFIX = "nsenc:v1:";
  public static final int KEY_BYTES = 32;

  private static final Pattern SEALED = Pattern.compile("nsenc:v1:([0-9a-f]{8}):([A-Za-z0-9_-]+)");
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final String DATA_KEY = SecretCipher.class.getName();
  private static final SecureRandom RANDOM = new SecureRandom();

  /** No key: nothing can be sealed, and only values stored in clear can be read. */
  private static final SecretCipher NONE = new SecretCipher(null, Map.of());

  private final String currentId;
  private final Map<String, SecretKeySpec> keys;

  private SecretCipher(String currentId, Map<String, SecretKeySpec> keys) {
    this.currentId = currentId;
    this.keys = keys;
  }

  /** Seals with {@code current}; opens with it and with every key of {@code old}. */
  public static SecretCipher of(byte[] current, List<byte[]> old) {
    Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
    keys.put(keyId(current), spec(current));
    for (byte[] key : old) {
      keys.putIfAbsent(keyId(key), spec(key));
    }
    return new SecretCipher(keyId(current), Map.copyOf(keys));
  }

  public static SecretCipher none() {
    return NONE;
  }

  /** The id a key's sealed values carry: 8 hex chars of a hash of the key (not the key). */
  public static String keyId(byte[] key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("nightshift secrets key id\0".getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest(key), 0, 4);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether values sealed with the key of this id can be opened. */
  public boolean knows(String keyId) {
    return keys.containsKey(keyId);
  }

  /** How many keys open values (the current one and the old ones). */
  public int keyCount() {
    return keys.size();
  }

  /** The id of the key values are sealed with (null: none configured). */
  public String currentKeyId() {
    return currentId;
  }

  /**
   * Makes this the cipher of every repository working through {@code dsl} (and its transactions).
   */
  public void attach(DSLContext dsl) {
    dsl.configuration().data(DATA_KEY, this);
  }

  /** The cipher attached to {@code dsl}; {@link #none()} when none was. */
  public static SecretCipher of(DSLContext dsl) {
    Object cipher = dsl.configuration().data(DATA_KEY);
    return cipher instanceof SecretCipher c ? c : NONE;
  }

  public static boolean sealed(String value) {
    return value != null && value.startsWith(PREFIX);
  }

  /** The stored form of {@code plain} (null stays null; a sealed value is not sealed again). */
  public String seal(String plain) {
    if (plain == null || sealed(plain)) {
      return plain;
    }
    if (currentId == null) {
      throw new SecretKeyException(
          "no secrets key is configured (secrets.key or NIGHTSHIFT_SECRETS_KEY): a secret cannot"
              + " be stored");
    }
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, keys.get(currentId), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(header(currentId));
      byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
      ByteBuffer out = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed);
      return PREFIX
          + currentId
          + ":"
          + Base64.getUrlEncoder().withoutPadding().encodeToString(out.array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /**
   * The plain value of a stored one: a sealed value is decrypted with the key of its id, anything
   * else was stored in clear and is returned as it is. A {@link SecretKeyException} says which key
   * is missing or does not fit; a wrong key never yields garbage (GCM checks the tag).
   */
  public String open(String stored) {
    if (!sealed(stored)) {
      return stored;
    }
    Matcher m = SEALED.matcher(stored);
    if (!m.matches()) {
      throw new SecretKeyException("a stored secret is damaged (not a sealed value)");
    }
    String id = m.group(1);
    SecretKeySpec key = keys.get(id);
    if (key == null) {
      throw new SecretKeyException(
          "a stored secret was encrypted with key "
              + id
              + ", which is not configured"
              + (currentId == null
                  ? " (no secrets key is)"
                  : " (the current key is " + currentId + ")")
              + ": list that key in secrets.oldKeys (NIGHTSHIFT_SECRETS_OLD_KEYS)");
    }
    byte[] data;
    try {
      data = Base64.getUrlDecoder().decode(m.group(2));
    } catch (IllegalArgumentException e) {
      throw new SecretKeyException("a stored secret of key " + id + " is damaged (bad base64)");
    }
    if (data.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new SecretKeyException("a stored secret of key " + id + " is damaged (too short)");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, data, 0, NONCE_BYTES));
      cipher.updateAAD(header(id));
      byte[] plain = cipher.doFinal(data, NONCE_BYTES, data.length - NONCE_BYTES);
      return new String(plain, StandardCharsets.UTF_8);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new SecretKeyException(
          "a stored secret does not decrypt with key "
              + id
              + ": the configured key with that id is not the one that encrypted it, or the value"
              + " is damaged");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  private static byte[] header(String id) {
    return (PREFIX + id).getBytes(StandardCharsets.UTF_8);
  }

  private static SecretKeySpec spec(byte[] key) {
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException(
          "a secrets key must be " + KEY_BYTES + " bytes, got " + key.length);
    }
    return new SecretKeySpec(key.clone(), "AES");
  }
}
