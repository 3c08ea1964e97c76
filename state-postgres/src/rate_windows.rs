//! The fleet's rate windows: [`SharedWindows`] on PostgreSQL, so every worker that serves a
//! tenant counts its requests in one place (see the `rate_windows` migration).

use std::time::Duration;

use async_trait::async_trait;
use connector_core::error::Result;
use connector_core::http::{SharedWindows, Window};

use crate::error::pg;
use crate::store::PostgresStore;

#[async_trait]
impl SharedWindows for PostgresStore {
    async fn take(&self, budget: &str, window: &Window) -> Result<Option<Duration>> {
        let mut conn = self.conn().await?;
        let stmt = conn.prepare("SELECT take_rate($1, $2, $3, $4)").await?;
        // At most 400 days, so the function's arithmetic stays inside `bigint`.
        let period = window.period().min(Duration::from_secs(400 * 86_400));
        let period = i64::try_from(period.as_millis()).unwrap_or(i64::MAX).max(1);
        let limit = i64::try_from(window.limit()).unwrap_or(i64::MAX);
        let wait: i64 = conn
            .client
            .query_one(&stmt, &[&budget, &window.name(), &period, &limit])
            .await
            .map_err(pg("count a request in a shared rate window"))?
            .get(0);
        match wait {
            0 => Ok(None),
            ms if ms > 0 => Ok(Some(Duration::from_millis(ms.unsigned_abs()))),
            ms => Err(connector_core::Error::internal(format!(
                "take_rate answered {ms}: the rate_windows function is not this SDK's"
            ))),
        }
    }
}
