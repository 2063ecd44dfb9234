-- The first migration: the table the home page reads. Never edit a migration once it has run
-- anywhere; add the next one (0002_...). Expand/contract rule: README.md.
CREATE TABLE greetings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO greetings (message) VALUES ('Hello from {{slipway.appName}}');
