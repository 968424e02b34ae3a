-- The CDC example's shop: customers and their orders. PII: name, email,
-- phone, and the card inside payment.
CREATE TABLE IF NOT EXISTS customers (
    id         serial PRIMARY KEY,
    name       text NOT NULL,
    email      text NOT NULL,
    phone      text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS orders (
    id          serial PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers (id),
    total       numeric(10, 2) NOT NULL,
    status      text NOT NULL DEFAULT 'new',
    payment     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
