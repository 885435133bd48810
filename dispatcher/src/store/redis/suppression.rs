//! Suppression lists: one hash of entries, a set of the prefix ones.

use cobro_campaigns::ChannelKind;

use super::RedisStore;
use super::codec::redis_err;
use super::keys::supp_field;
use super::scripts::scripts;
use crate::store::{StoreError, StoreResult, Suppression, SuppressionStore};

impl SuppressionStore for RedisStore {
    async fn suppress(&self, entry: &Suppression) -> StoreResult<()> {
        let field = supp_field(entry.channel, &entry.address);
        let json = serde_json::to_string(entry).map_err(|e| StoreError::json("suppression", e))?;
        let mut pipe = redis::pipe();
        pipe.atomic().hset(self.key("supp"), &field, json).ignore();
        if entry.prefix {
            pipe.sadd(self.key("supp_prefix"), &field).ignore();
        } else {
            pipe.srem(self.key("supp_prefix"), &field).ignore();
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .map_err(redis_err("suppress"))
    }

    async fn unsuppress(&self, channel: Option<ChannelKind>, address: &str) -> StoreResult<bool> {
        let field = supp_field(channel, address);
        let (removed, _): (u64, u64) = redis::pipe()
            .atomic()
            .hdel(self.key("supp"), &field)
            .srem(self.key("supp_prefix"), &field)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("unsuppress"))?;
        Ok(removed > 0)
    }

    async fn suppressions(&self) -> StoreResult<Vec<Suppression>> {
        let rows: Vec<String> = redis::cmd("HVALS")
            .arg(self.key("supp"))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err("suppressions"))?;
        let mut out = rows
            .iter()
            .map(|r| serde_json::from_str(r).map_err(|e| StoreError::json("suppression", e)))
            .collect::<StoreResult<Vec<Suppression>>>()?;
        out.sort_by(|a, b| (a.channel, &a.address).cmp(&(b.channel, &b.address)));
        Ok(out)
    }

    async fn is_suppressed(&self, channel: ChannelKind, address: &str) -> StoreResult<bool> {
        let mut inv = scripts().suppressed.prepare_invoke();
        inv.arg(&self.prefix).arg(channel.as_str()).arg(address);
        Ok(self.invoke::<i64>(&inv).await? == 1)
    }
}
