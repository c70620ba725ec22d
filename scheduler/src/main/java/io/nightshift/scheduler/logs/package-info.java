/**
 * The log pipeline: every output line of a step, from the executor to live followers and to the
 * {@code log_line} table.
 *
 * <pre>
 * executor reader threads
 *   └─ LogBus.publish(line)              bounded, ordered, in memory; waits when full
 *        ├─ InProcessLogBus (embedded)   followers called in memory; persister thread -> LogStore
 *        └─ RedisLogBus (production)     one sender thread, one pipeline per batch of ≤1000:
 *             PUBLISH nightshift:log:{runId} &lt;line JSON&gt;   (public, live followers)
 *             PUBLISH nightshift:events &lt;event JSON&gt;
 *             XADD nightshift:logs * lines [&lt;line JSON&gt;, ...] (internal, durable)
 *                          │
 *             LogSubscriber: group "persist", XREADGROUP -> LogStore.insert (one transaction)
 *                            -> XDEL + XACK after commit; own pending first; XCLAIM what nodes
 *                            without a live lease left pending; XAUTOCLAIM what idles a minute
 * </pre>
 *
 * <p>Guarantees. A line is stored once: {@code (step_run_id, seq)} is the primary key and the
 * insert is {@code INSERT IGNORE}, so every replay (a batch sent again after a Redis error, pending
 * entries re-read after a subscriber crash, entries claimed from a dead node) is harmless. A line
 * is not lost: nothing leaves the executor's buffer before Redis acknowledged it, and nothing is
 * acknowledged in the stream before the database committed it. While Redis is down the buffer keeps
 * lines in order up to {@code LogSettings.bufferLines} (then publishers wait, which slows the
 * step's process through its pipe) and {@code health()} says so.
 *
 * <p>Production needs Redis with an append-only file ({@code appendonly yes}; {@code appendfsync
 * always} to lose nothing, {@code everysec} risks the last second). Without persistence a Redis
 * restart drops the stream: lines handed to Redis but not yet stored in MySQL at that moment are
 * lost. Lines still in an executor's buffer are not affected (RedisOutageTest shows both cases).
 */
package io.nightshift.scheduler.logs;
