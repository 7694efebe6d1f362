use super::*;

#[async_trait]
impl AccountStore for SqliteStore {
    // ----------------------------------------------------------------- settings
    async fn get_setting(&self, name: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::from)
    }

    /// Sets a setting only if absent; returns the value now stored (first writer wins).
    async fn init_setting(&self, name: &str, value: &str) -> StoreResult<String> {
        sqlx::query("INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)")
            .bind(name)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(self.get_setting(name).await?.unwrap_or_else(|| value.to_string()))
    }

    // ----------------------------------------------------------------- users
    async fn create_user(&self, name: &str, password_hash: &str, groups: &[String], log_action: Option<&str>) -> StoreResult<Option<i64>> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        let now = crate::time::now_ts();
        let r = sqlx::query("INSERT INTO users (name, password_hash, groups_list, registered) VALUES (?, ?, ?, ?)")
            .bind(name)
            .bind(password_hash)
            .bind(groups.join(","))
            .bind(&now)
            .execute(&mut *tx)
            .await;
        let id = match r {
            Ok(done) => done.last_insert_rowid(),
            Err(e) if is_unique_violation(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if let Some(action) = log_action {
            let title = name.replace(' ', "_");
            let params = LogParams::NewUser { userid: id };
            let entry = LogEntry {
                log_type: "newusers",
                action,
                namespace: 2,
                title: &title,
                timestamp: &now,
                comment: "",
                params: &params,
                tags: &[],
            };
            let actor = Actor {
                user_id: id,
                user_name: name,
            };
            insert_log(&mut tx, &actor, &entry).await?;
        }
        tx.commit().await?;
        Ok(Some(id))
    }

    async fn count_users(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::from)
    }

    async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query("SELECT * FROM users WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(user_from_row).transpose()?)
    }

    async fn user_by_id(&self, id: i64) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query("SELECT * FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(user_from_row).transpose()?)
    }

    async fn set_user_groups(&self, id: i64, groups: &[String]) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE users SET groups_list = ? WHERE id = ?")
            .bind(groups.join(","))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn change_user_groups(
        &self,
        user_id: i64,
        add: &[GroupMembership],
        remove: &[String],
        now: &str,
        log: &LogWrite<'_>,
    ) -> StoreResult<Option<(Vec<GroupMembership>, Vec<GroupMembership>)>> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        let row = sqlx::query("SELECT name, groups_list FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let name: String = row.try_get("name")?;
        let old = GroupMembership::parse_list(&row.try_get::<String, _>("groups_list")?, now);
        let new = GroupMembership::apply_changes(&old, add, remove);
        sqlx::query("UPDATE users SET groups_list = ? WHERE id = ?")
            .bind(GroupMembership::encode_list(&new))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let params = GroupMembership::rights_log_params(&old, &new);
        let title = name.replace(' ', "_");
        let entry = LogEntry {
            log_type: "rights",
            action: log.action,
            namespace: 2,
            title: &title,
            timestamp: now,
            comment: log.comment,
            params: &params,
            tags: log.tags,
        };
        insert_log(&mut tx, &log.actor, &entry).await?;
        tx.commit().await?;
        Ok(Some((old, new)))
    }

    async fn set_user_password(&self, id: i64, hash: &str) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Creates or replaces a bot password.
    async fn put_bot_password(&self, user_id: i64, app_id: &str, hash: &str, grants: &[String]) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO bot_passwords (user_id, app_id, password_hash, grants, created) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (user_id, app_id) DO UPDATE SET password_hash = excluded.password_hash, grants = excluded.grants",
        )
        .bind(user_id)
        .bind(app_id)
        .bind(hash)
        .bind(grants.join(","))
        .bind(crate::time::now_ts())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRow>> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY id").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(user_from_row).collect::<Result<Vec<_>, _>>()?)
    }

    async fn delete_user(&self, id: i64) -> StoreResult<bool> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        for sql in [
            "DELETE FROM sessions WHERE user_id = ?",
            "DELETE FROM bot_passwords WHERE user_id = ?",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        let r = sqlx::query("DELETE FROM users WHERE id = ?").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(r.rows_affected() > 0)
    }

    async fn bot_passwords(&self, user_id: i64) -> StoreResult<Vec<BotPasswordRow>> {
        let rows = sqlx::query("SELECT * FROM bot_passwords WHERE user_id = ? ORDER BY app_id")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(BotPasswordRow {
                    user_id: r.try_get("user_id")?,
                    app_id: r.try_get("app_id")?,
                    password_hash: r.try_get("password_hash")?,
                    grants: split_list(&r.try_get::<String, _>("grants")?),
                })
            })
            .collect()
    }

    async fn delete_bot_password(&self, user_id: i64, app_id: &str) -> StoreResult<bool> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = begin_write(&mut conn).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = ? AND bot_app_id = ?")
            .bind(user_id)
            .bind(app_id)
            .execute(&mut *tx)
            .await?;
        let r = sqlx::query("DELETE FROM bot_passwords WHERE user_id = ? AND app_id = ?")
            .bind(user_id)
            .bind(app_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(r.rows_affected() > 0)
    }

    async fn bot_password(&self, user_id: i64, app_id: &str) -> StoreResult<Option<BotPasswordRow>> {
        let row = sqlx::query("SELECT * FROM bot_passwords WHERE user_id = ? AND app_id = ?")
            .bind(user_id)
            .bind(app_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(BotPasswordRow {
                user_id: r.try_get("user_id")?,
                app_id: r.try_get("app_id")?,
                password_hash: r.try_get("password_hash")?,
                grants: split_list(&r.try_get::<String, _>("grants")?),
            })
        })
        .transpose()
    }

    // ----------------------------------------------------------------- sessions
    async fn create_session(&self, id: &str, secret: &str) -> StoreResult<()> {
        let now = crate::time::now_ts();
        sqlx::query("INSERT INTO sessions (id, secret, created, last_seen) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(secret)
            .bind(&now)
            .bind(&now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session(&self, id: &str) -> StoreResult<Option<SessionRow>> {
        let row = sqlx::query("SELECT id, secret, user_id, bot_app_id FROM sessions WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(SessionRow {
                id: r.try_get("id")?,
                secret: r.try_get("secret")?,
                user_id: r.try_get("user_id")?,
                bot_app_id: r.try_get("bot_app_id")?,
            })
        })
        .transpose()
    }

    async fn session_caller(&self, id: &str) -> StoreResult<Option<SessionCaller>> {
        const SQL: &str = "SELECT s.id AS s_id, s.secret AS s_secret, s.user_id AS s_user_id, s.bot_app_id AS s_bot_app_id,
                    u.id, u.name, u.password_hash, u.groups_list, u.registered,
                    b.app_id AS b_app_id, b.password_hash AS b_password_hash, b.grants AS b_grants
             FROM sessions s
             LEFT JOIN users u ON u.id = s.user_id
             LEFT JOIN bot_passwords b ON b.user_id = s.user_id AND b.app_id = s.bot_app_id
             WHERE s.id = ?";
        self.reads
            .run(|c| reads::optional(c, SQL, [id], |r| session_caller_from_row(r)))
            .await
    }

    /// Logs a session in (or out with `None`), rotating its token secret like MediaWiki does.
    async fn set_session_user(&self, id: &str, user_id: Option<i64>, bot_app_id: Option<&str>, new_secret: &str) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET user_id = ?, bot_app_id = ?, secret = ?, last_seen = ? WHERE id = ?")
            .bind(user_id)
            .bind(bot_app_id)
            .bind(new_secret)
            .bind(crate::time::now_ts())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn throttle_attempt(&self, key: &str, limit: i64, seconds: i64, now: i64) -> StoreResult<bool> {
        // Counters long expired go first (a counter expired just now is restarted below).
        sqlx::query("DELETE FROM login_throttle WHERE expires <= ?")
            .bind(now - 86_400)
            .execute(&self.pool)
            .await?;
        // One statement: start, count up, or (at the limit) leave the row alone and return nothing.
        let counted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO login_throttle (key, count, expires) VALUES (?1, 1, ?2) ON CONFLICT (key) DO UPDATE SET count = CASE WHEN login_throttle.expires <= ?3 THEN 1 ELSE login_throttle.count + 1 END, expires = CASE WHEN login_throttle.expires <= ?3 THEN excluded.expires ELSE login_throttle.expires END WHERE login_throttle.expires <= ?3 OR login_throttle.count < ?4 RETURNING count",
        )
        .bind(key)
        .bind(now.saturating_add(seconds))
        .bind(now)
        .bind(limit)
        .fetch_optional(&self.pool)
        .await?;
        Ok(counted.is_some())
    }

    async fn throttle_clear(&self, keys: &[String]) -> StoreResult<()> {
        for key in keys {
            sqlx::query("DELETE FROM login_throttle WHERE key = ?")
                .bind(key)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }
}

/// A session joined with its user and bot password (`session_caller`'s columns).
fn session_caller_from_row(r: &impl Cols) -> DbResult<SessionCaller> {
    let session = SessionRow {
        id: r.col("s_id")?,
        secret: r.col("s_secret")?,
        user_id: r.col("s_user_id")?,
        bot_app_id: r.col("s_bot_app_id")?,
    };
    let user = match r.col::<Option<i64>>("id")? {
        Some(_) => Some(user_from_row(r)?),
        None => None,
    };
    let bot_password = match (r.col::<Option<String>>("b_app_id")?, session.user_id) {
        (Some(app_id), Some(user_id)) => Some(BotPasswordRow {
            user_id,
            app_id,
            password_hash: r.col("b_password_hash")?,
            grants: split_list(&r.col::<String>("b_grants")?),
        }),
        _ => None,
    };
    Ok(SessionCaller {
        session,
        user,
        bot_password,
    })
}

fn user_from_row(r: &impl Cols) -> DbResult<UserRow> {
    let now = crate::time::now_ts();
    let memberships = GroupMembership::parse_list(&r.col::<String>("groups_list")?, &now);
    Ok(UserRow {
        id: r.col("id")?,
        name: r.col("name")?,
        password_hash: r.col("password_hash")?,
        groups: memberships.iter().map(|m| m.group.clone()).collect(),
        memberships,
        registered: r.col("registered")?,
    })
}
