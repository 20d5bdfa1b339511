//! PostgreSQL LISTEN/NOTIFY: how progress events travel between replicas that
//! share one database.

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DbErr, Statement};
use tokio::sync::mpsc;

/// Sends `payload` (at most 8000 bytes) to every process listening on `channel`.
pub async fn notify(db: &impl ConnectionTrait, channel: &str, payload: &str) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), "SELECT pg_notify($1, $2)", [channel.into(), payload.into()]))
        .await?;
    Ok(())
}

/// Listens on `channel` and forwards each payload; reconnects when the connection drops.
pub async fn listen(url: &str, channel: &str) -> Result<mpsc::Receiver<String>, DbErr> {
    let mut listener = PgListener::connect(url).await.map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string())))?;
    listener.listen(channel).await.map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string())))?;
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        loop {
            match listener.recv().await {
                Ok(notification) => {
                    if tx.send(notification.payload().to_string()).await.is_err() {
                        return;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "LISTEN connection lost; reconnecting");
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
            }
        }
    });
    Ok(rx)
}
