import GRDB

/// The database schema, as an ordered list of migrations. Never edit a shipped migration: add one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: connector spaces, metaverse, exports, runs") { db in
            try db.execute(sql: """
                CREATE TABLE mv_objects (
                    id INTEGER PRIMARY KEY,
                    object_type TEXT NOT NULL,
                    attributes TEXT NOT NULL,
                    updated DATETIME NOT NULL
                );
                CREATE TABLE cs_objects (
                    id INTEGER PRIMARY KEY,
                    connector TEXT NOT NULL,
                    anchor TEXT,
                    dn TEXT NOT NULL,
                    dn_key TEXT NOT NULL,
                    object_type TEXT NOT NULL,
                    attributes TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    mv_id INTEGER REFERENCES mv_objects(id) ON DELETE SET NULL,
                    pending_import TEXT,
                    seen_run INTEGER,
                    updated DATETIME NOT NULL
                );
                CREATE UNIQUE INDEX cs_objects_anchor ON cs_objects(connector, anchor) WHERE anchor IS NOT NULL;
                CREATE INDEX cs_objects_dn ON cs_objects(connector, dn_key);
                CREATE INDEX cs_objects_mv ON cs_objects(mv_id);
                CREATE INDEX cs_objects_pending ON cs_objects(connector, id) WHERE pending_import IS NOT NULL;
                CREATE TABLE cs_references (
                    cs_id INTEGER NOT NULL REFERENCES cs_objects(id) ON DELETE CASCADE,
                    attribute TEXT NOT NULL,
                    dn_key TEXT NOT NULL
                );
                CREATE INDEX cs_references_cs ON cs_references(cs_id);
                CREATE INDEX cs_references_dn ON cs_references(dn_key);
                CREATE TABLE pending_exports (
                    cs_id INTEGER PRIMARY KEY REFERENCES cs_objects(id) ON DELETE CASCADE,
                    operation TEXT NOT NULL,
                    attributes TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    queued DATETIME NOT NULL
                );
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    connector TEXT NOT NULL,
                    profile TEXT NOT NULL,
                    started DATETIME NOT NULL,
                    ended DATETIME,
                    status TEXT NOT NULL,
                    adds INTEGER NOT NULL DEFAULT 0,
                    updates INTEGER NOT NULL DEFAULT 0,
                    deletes INTEGER NOT NULL DEFAULT 0,
                    errors INTEGER NOT NULL DEFAULT 0,
                    message TEXT
                );
                CREATE INDEX runs_connector ON runs(connector, id);
                CREATE TABLE run_errors (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    connector TEXT NOT NULL,
                    object TEXT NOT NULL,
                    attribute TEXT,
                    message TEXT NOT NULL
                );
                CREATE INDEX run_errors_run ON run_errors(run_id);
                CREATE TABLE connector_state (
                    connector TEXT PRIMARY KEY,
                    watermark BLOB,
                    updated DATETIME NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2: vault, events, service state") { db in
            try db.execute(sql: """
                CREATE TABLE vault_keyset (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    keyset BLOB NOT NULL,
                    updated DATETIME NOT NULL
                );
                CREATE TABLE vault_credentials (
                    connector TEXT NOT NULL,
                    field TEXT NOT NULL,
                    sealed BLOB,
                    status TEXT NOT NULL,
                    updated DATETIME NOT NULL,
                    PRIMARY KEY (connector, field)
                );
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY,
                    event_id INTEGER NOT NULL,
                    level TEXT NOT NULL,
                    source TEXT NOT NULL,
                    message TEXT NOT NULL,
                    time DATETIME NOT NULL
                );
                CREATE INDEX events_event_id ON events(event_id, id);
                CREATE TABLE service_state (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    pid INTEGER,
                    state TEXT NOT NULL,
                    error_code TEXT,
                    message TEXT,
                    started DATETIME,
                    updated DATETIME NOT NULL
                );
                """)
        }
        migrator.registerMigration("v3: client registrations") { db in
            try db.execute(sql: """
                CREATE TABLE client_registrations (
                    connector TEXT PRIMARY KEY,
                    client_id TEXT NOT NULL,
                    registration_client_uri TEXT,
                    issuer TEXT,
                    registered DATETIME NOT NULL
                );
                """)
        }
        migrator.registerMigration("v4: last full import") { db in
            try db.execute(sql: "ALTER TABLE connector_state ADD COLUMN last_full_import DATETIME")
        }
        migrator.registerMigration("v5: unfinished sync") { db in
            try db.execute(sql: "ALTER TABLE connector_state ADD COLUMN sync_started DATETIME")
        }
        // A rowid alone is reused once the highest row is deleted: a user deleted and another projected in the
        // same sync got the deleted one's metaverse id, and every group reference "mv:<id>" silently changed
        // meaning. AUTOINCREMENT never hands an id out twice. SQLite cannot add it in place: the tables are
        // rebuilt (foreign key checks are deferred to the end of the migration).
        migrator.registerMigration("v6: metaverse and connector-space ids are never reused") { db in
            try db.execute(sql: """
                CREATE TABLE mv_objects_new (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    object_type TEXT NOT NULL,
                    attributes TEXT NOT NULL,
                    updated DATETIME NOT NULL
                );
                INSERT INTO mv_objects_new (id, object_type, attributes, updated)
                    SELECT id, object_type, attributes, updated FROM mv_objects;
                DROP TABLE mv_objects;
                ALTER TABLE mv_objects_new RENAME TO mv_objects;
                CREATE TABLE cs_objects_new (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    connector TEXT NOT NULL,
                    anchor TEXT,
                    dn TEXT NOT NULL,
                    dn_key TEXT NOT NULL,
                    object_type TEXT NOT NULL,
                    attributes TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    mv_id INTEGER REFERENCES mv_objects(id) ON DELETE SET NULL,
                    pending_import TEXT,
                    seen_run INTEGER,
                    updated DATETIME NOT NULL
                );
                INSERT INTO cs_objects_new SELECT id, connector, anchor, dn, dn_key, object_type, attributes, digest, mv_id,
                    pending_import, seen_run, updated FROM cs_objects;
                DROP TABLE cs_objects;
                ALTER TABLE cs_objects_new RENAME TO cs_objects;
                CREATE UNIQUE INDEX cs_objects_anchor ON cs_objects(connector, anchor) WHERE anchor IS NOT NULL;
                CREATE INDEX cs_objects_dn ON cs_objects(connector, dn_key);
                CREATE INDEX cs_objects_mv ON cs_objects(mv_id);
                CREATE INDEX cs_objects_pending ON cs_objects(connector, id) WHERE pending_import IS NOT NULL;
                """)
        }
        migrator.registerMigration("v7: deprovisioned target objects") { db in
            try db.execute(sql: """
                ALTER TABLE cs_objects ADD COLUMN deprovisioned_at DATETIME;
                CREATE INDEX cs_objects_deprovisioned ON cs_objects(connector, deprovisioned_at) WHERE deprovisioned_at IS NOT NULL;
                ALTER TABLE cs_objects ADD COLUMN former_mv_id INTEGER;
                CREATE INDEX cs_objects_former_mv ON cs_objects(connector, former_mv_id) WHERE former_mv_id IS NOT NULL;
                """)
        }
        // References were text in the attribute maps ("mv:<id>", "id:<target id>"); they move to their own
        // column (`Reference`, ReferenceMigration.swift).
        migrator.registerMigration("v8: typed references") { db in
            try db.execute(sql: """
                ALTER TABLE mv_objects ADD COLUMN refs TEXT NOT NULL DEFAULT '{}';
                ALTER TABLE cs_objects ADD COLUMN refs TEXT NOT NULL DEFAULT '{}';
                ALTER TABLE pending_exports ADD COLUMN refs TEXT NOT NULL DEFAULT '{}';
                """)
            try ReferenceMigration.run(db)
        }
        // A SCIM service may number users and groups apart (a user and a group both "1"): a target's ids are
        // unique per object type. Directory anchors are unique across types anyway.
        migrator.registerMigration("v9: target ids unique per object type") { db in
            try db.execute(sql: """
                DROP INDEX cs_objects_anchor;
                CREATE UNIQUE INDEX cs_objects_anchor ON cs_objects(connector, anchor, object_type) WHERE anchor IS NOT NULL;
                """)
        }
        return migrator
    }
}
