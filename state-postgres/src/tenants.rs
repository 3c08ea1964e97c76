//! Tenants: the settings of each system a tenant's flows use, kept in the store so every
//! worker of a fleet can open them. Settings are a JSON object of text values, sealed with
//! the state key when one is given ([`Sealer`]), as secrets are.

use std::collections::BTreeMap;

use chrono::Utc;
use connector_core::error::{Error, Result};
use connector_core::state::{Sealer, unseal};

use crate::error::{nanos, pg};
use crate::store::PostgresStore;

/// A tenant and the systems it has settings for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tenant {
    /// The tenant.
    pub id: String,
    /// The systems it has settings for, by name.
    pub systems: Vec<String>,
}

impl PostgresStore {
    /// Stores `tenant`'s settings for `system` (replacing those there), sealed with
    /// `sealer` when given.
    pub async fn save_tenant_settings(
        &self,
        tenant: &str,
        system: &str,
        settings: &BTreeMap<String, String>,
        sealer: Option<&Sealer>,
    ) -> Result<()> {
        if tenant.trim().is_empty() || system.trim().is_empty() {
            return Err(Error::config("a tenant and a system are needed"));
        }
        if tenant.contains('/') {
            // Token keys are `tokens/<tenant>/<system>/<account>`.
            return Err(Error::config(format!("a tenant's name cannot hold `/`: {tenant}")));
        }
        let text = serde_json::to_string(settings)
            .map_err(|e| Error::internal(format!("settings as JSON: {e}")))?;
        let value = match sealer {
            Some(s) => s.seal(&text)?,
            None => text,
        };
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare(
                "INSERT INTO tenant_settings (tenant, system, settings, updated_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant, system) DO UPDATE SET settings = EXCLUDED.settings,
                                                            updated_at = EXCLUDED.updated_at",
            )
            .await?;
        conn.client
            .execute(&stmt, &[&tenant, &system, &value, &nanos(&Utc::now())])
            .await
            .map_err(pg("save tenant settings"))?;
        Ok(())
    }

    /// `tenant`'s settings for `system`, opened with `sealer` when they were sealed.
    pub async fn tenant_settings(
        &self,
        tenant: &str,
        system: &str,
        sealer: Option<&Sealer>,
    ) -> Result<Option<BTreeMap<String, String>>> {
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare("SELECT settings FROM tenant_settings WHERE tenant = $1 AND system = $2")
            .await?;
        let row = conn
            .client
            .query_opt(&stmt, &[&tenant, &system])
            .await
            .map_err(pg("read tenant settings"))?;
        let Some(row) = row else { return Ok(None) };
        let text = unseal(sealer, &row.get::<_, String>(0))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::internal(format!("stored tenant settings are not JSON: {e}")))
    }

    /// Every tenant with the systems it has settings for, by name.
    pub async fn tenants(&self) -> Result<Vec<Tenant>> {
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare(
                "SELECT tenant, array_agg(system ORDER BY system) FROM tenant_settings
                 GROUP BY tenant ORDER BY tenant",
            )
            .await?;
        let rows = conn.client.query(&stmt, &[]).await.map_err(pg("list tenants"))?;
        Ok(rows.iter().map(|r| Tenant { id: r.get(0), systems: r.get(1) }).collect())
    }
}
