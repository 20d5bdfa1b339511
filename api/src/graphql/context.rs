//! What resolvers read from the context: the app, the verified caller, and a
//! per-request cache so lists do not query the same company data row by row.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use roster_domain::{BudgetPolicy, CompanyGroup};
use roster_persistence::repo::employees::StoredEmployee;
use roster_persistence::repo::grants::StoredGrant;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, Result};
use crate::state::AppState;

pub fn app<'a>(ctx: &Context<'a>) -> Result<&'a AppState> {
    ctx.data::<AppState>().map_err(|_| ApiError::Internal("AppState missing from the schema".into()))
}

pub fn caller<'a>(ctx: &Context<'a>) -> Result<&'a Caller> {
    ctx.data::<Caller>().map_err(|_| ApiError::Unauthenticated("no verified caller".into()))
}

/// Company-wide data loaded at most once per request, on first use, and the
/// per-employee relations of a page loaded together (DataLoader), not row by row.
pub struct RequestCache {
    grants: DataLoader<GrantsLoader, HashMapCache>,
    managers: DataLoader<ManagersLoader, HashMapCache>,
    groups: OnceCell<Arc<HashMap<Uuid, CompanyGroup>>>,
    cost_centers: OnceCell<Arc<Named>>,
    legal_entities: OnceCell<Arc<Named>>,
    group_counts: OnceCell<Arc<HashMap<Uuid, i64>>>,
    policies: OnceCell<Arc<Vec<BudgetPolicy>>>,
}

impl RequestCache {
    pub fn new(app: &AppState) -> Self {
        Self {
            grants: DataLoader::with_cache(GrantsLoader { db: app.db.read.clone() }, tokio::spawn, HashMapCache::default()),
            managers: DataLoader::with_cache(ManagersLoader { db: app.db.read.clone() }, tokio::spawn, HashMapCache::default()),
            groups: OnceCell::new(),
            cost_centers: OnceCell::new(),
            legal_entities: OnceCell::new(),
            group_counts: OnceCell::new(),
            policies: OnceCell::new(),
        }
    }
}

/// Budget grants by (company, employee): one statement for every employee a
/// response shows.
pub struct GrantsLoader {
    db: roster_persistence::DatabaseConnection,
}

impl Loader<(Uuid, Uuid)> for GrantsLoader {
    type Value = Arc<Vec<StoredGrant>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[(Uuid, Uuid)]) -> std::result::Result<HashMap<(Uuid, Uuid), Self::Value>, Self::Error> {
        let mut by_company: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (company_id, employee_id) in keys {
            by_company.entry(*company_id).or_default().push(*employee_id);
        }
        let mut loaded = HashMap::with_capacity(keys.len());
        for (company_id, employee_ids) in by_company {
            let grants = roster_persistence::repo::grants::list_for_employees(&self.db, company_id, &employee_ids)
                .await
                .map_err(|e| async_graphql::Error::from(ApiError::from(e)))?;
            loaded.extend(grants.into_iter().map(|(employee_id, list)| ((company_id, employee_id), Arc::new(list))));
        }
        Ok(loaded)
    }
}

/// Employees by (company, HR id), for the managers of a page (R-HRIS-11): one
/// statement for every manager a response shows.
pub struct ManagersLoader {
    db: roster_persistence::DatabaseConnection,
}

impl Loader<(Uuid, String)> for ManagersLoader {
    type Value = StoredEmployee;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[(Uuid, String)]) -> std::result::Result<HashMap<(Uuid, String), Self::Value>, Self::Error> {
        let mut by_company: HashMap<Uuid, Vec<String>> = HashMap::new();
        for (company_id, hris_id) in keys {
            by_company.entry(*company_id).or_default().push(hris_id.clone());
        }
        let mut loaded = HashMap::with_capacity(keys.len());
        for (company_id, hris_ids) in by_company {
            let found = roster_persistence::repo::hris::employees_by_hris_ids(&self.db, company_id, &hris_ids)
                .await
                .map_err(|e| async_graphql::Error::from(ApiError::from(e)))?;
            loaded.extend(found.into_iter().filter_map(|s| Some(((company_id, s.employee.hr.hris_id.clone()?), s))));
        }
        Ok(loaded)
    }
}

/// Loads the managers of a whole page at once (see `prefetch_grants`).
pub async fn prefetch_managers(ctx: &Context<'_>, company_id: Uuid, hris_ids: impl IntoIterator<Item = String>) -> Result<()> {
    let keys: std::collections::HashSet<(Uuid, String)> = hris_ids.into_iter().map(|id| (company_id, id)).collect();
    match cache(ctx)?.managers.load_many(keys).await {
        Ok(_) => Ok(()),
        Err(err) => Err(ApiError::Internal(format!("loading managers: {}", err.message))),
    }
}

pub async fn manager(ctx: &Context<'_>, company_id: Uuid, hris_id: &str) -> Result<Option<StoredEmployee>> {
    cache(ctx)?
        .managers
        .load_one((company_id, hris_id.to_string()))
        .await
        .map_err(|err| ApiError::Internal(format!("loading managers: {}", err.message)))
}

/// Cost centres or legal entities with their employee counts, by id.
pub type Named = HashMap<Uuid, (String, i32)>;

fn by_id(list: Vec<(Uuid, String, i32)>) -> Arc<Named> {
    Arc::new(list.into_iter().map(|(id, name, count)| (id, (name, count))).collect())
}

pub async fn cost_centers(ctx: &Context<'_>) -> Result<Arc<Named>> {
    let (app, caller) = (app(ctx)?, caller(ctx)?);
    cache(ctx)?.cost_centers.get_or_try_init(|| async { Ok(by_id(crate::services::hris::cost_centers(app, caller).await?)) }).await.cloned()
}

pub async fn legal_entities(ctx: &Context<'_>) -> Result<Arc<Named>> {
    let (app, caller) = (app(ctx)?, caller(ctx)?);
    cache(ctx)?
        .legal_entities
        .get_or_try_init(|| async { Ok(by_id(crate::services::hris::legal_entities(app, caller).await?)) })
        .await
        .cloned()
}

/// Loads the grants of a whole page at once, when its nodes select them: the
/// DataLoader alone batches the keys that arrive within its delay, which a
/// slow machine can split in two.
pub async fn prefetch_grants(ctx: &Context<'_>, company_id: Uuid, employee_ids: impl IntoIterator<Item = Uuid>) -> Result<()> {
    let keys = employee_ids.into_iter().map(|id| (company_id, id));
    match cache(ctx)?.grants.load_many(keys).await {
        Ok(_) => Ok(()),
        Err(err) => Err(ApiError::Internal(format!("loading budget grants: {}", err.message))),
    }
}

pub async fn grants(ctx: &Context<'_>, company_id: Uuid, employee_id: Uuid) -> Result<Arc<Vec<StoredGrant>>> {
    match cache(ctx)?.grants.load_one((company_id, employee_id)).await {
        Ok(found) => Ok(found.unwrap_or_default()),
        Err(err) => Err(ApiError::Internal(format!("loading budget grants: {}", err.message))),
    }
}

fn cache<'a>(ctx: &Context<'a>) -> Result<&'a RequestCache> {
    ctx.data::<RequestCache>().map_err(|_| ApiError::Internal("RequestCache missing from the request".into()))
}

pub async fn groups(ctx: &Context<'_>, company_id: Uuid) -> Result<Arc<HashMap<Uuid, CompanyGroup>>> {
    let app = app(ctx)?;
    cache(ctx)?
        .groups
        .get_or_try_init(|| async {
            let list = roster_persistence::repo::groups::list(&app.db.read, company_id).await?;
            Ok::<_, ApiError>(Arc::new(list.into_iter().map(|g| (g.id, g)).collect()))
        })
        .await
        .cloned()
}

pub async fn group_counts(ctx: &Context<'_>, company_id: Uuid) -> Result<Arc<HashMap<Uuid, i64>>> {
    let app = app(ctx)?;
    cache(ctx)?
        .group_counts
        .get_or_try_init(|| async {
            Ok::<_, ApiError>(Arc::new(roster_persistence::repo::groups::employee_counts(&app.db.read, company_id).await?))
        })
        .await
        .cloned()
}

pub async fn policies(ctx: &Context<'_>, company_id: Uuid) -> Result<Arc<Vec<BudgetPolicy>>> {
    let app = app(ctx)?;
    cache(ctx)?
        .policies
        .get_or_try_init(|| async {
            Ok::<_, ApiError>(Arc::new(roster_persistence::repo::policies::list(&app.db.read, company_id).await?))
        })
        .await
        .cloned()
}

/// Where this server is reached, for absolute download links.
#[derive(Debug, Clone, Default)]
pub struct PublicBase(pub String);

impl PublicBase {
    /// From `X-Forwarded-Proto`/`X-Forwarded-Host` behind a proxy, else `Host`.
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(|v| v.split(',').next().unwrap_or(v).trim().to_string());
        let host =
            get("x-forwarded-host").or_else(|| get("host")).filter(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)));
        let proto = get("x-forwarded-proto").filter(|p| p == "https" || p == "http").unwrap_or_else(|| "http".into());
        Self(host.map(|h| format!("{proto}://{h}")).unwrap_or_default())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}
