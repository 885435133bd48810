//! A Redis store as a file: one JSON object per key (`key`, `type`,
//! `value`), as `dispatcher/tests/fixtures/redis_v1/store.jsonl` holds a
//! store of the previous key layout. Tests load it into a private
//! redis-server to migrate it.

use serde_json::Value;

/// Writes every key of `jsonl` into the Redis at `url` (string, hash,
/// list, set and sorted-set values); returns how many keys.
pub fn load_redis_dump(url: &str, jsonl: &str) -> Result<usize, String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let mut conn = client.get_connection().map_err(|e| e.to_string())?;
    let mut n = 0;
    for (i, line) in jsonl.lines().enumerate() {
        let bad = |what: &str| format!("line {}: {what}", i + 1);
        let v: Value = serde_json::from_str(line).map_err(|e| bad(&e.to_string()))?;
        let key = v["key"].as_str().ok_or_else(|| bad("no key"))?;
        let value = &v["value"];
        let text = |x: &Value| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| bad("not a string"))
        };
        let mut cmd;
        match v["type"].as_str().ok_or_else(|| bad("no type"))? {
            "string" => {
                cmd = redis::cmd("SET");
                cmd.arg(key).arg(text(value)?);
            }
            "hash" => {
                cmd = redis::cmd("HSET");
                cmd.arg(key);
                for (field, x) in value.as_object().ok_or_else(|| bad("not a hash"))? {
                    cmd.arg(field).arg(text(x)?);
                }
            }
            kind @ ("list" | "set") => {
                cmd = redis::cmd(if kind == "list" { "RPUSH" } else { "SADD" });
                cmd.arg(key);
                for x in value.as_array().ok_or_else(|| bad("not an array"))? {
                    cmd.arg(text(x)?);
                }
            }
            "zset" => {
                cmd = redis::cmd("ZADD");
                cmd.arg(key);
                for pair in value.as_array().ok_or_else(|| bad("not an array"))? {
                    let score = pair[1].as_f64().ok_or_else(|| bad("no score"))?;
                    cmd.arg(score).arg(text(&pair[0])?);
                }
            }
            other => return Err(bad(&format!("type {other}"))),
        }
        cmd.query::<()>(&mut conn)
            .map_err(|e| bad(&e.to_string()))?;
        n += 1;
    }
    Ok(n)
}
