-- The language a person reads the pages in (issue 15, point 5): remembered when they pick one on any
-- page, so every service's pages follow it. NULL: not chosen yet (the browser's Accept-Language
-- decides). Additive: code that does not know the column never reads it.
ALTER TABLE users
    ADD COLUMN language text CHECK (language IN ('en', 'mk', 'sq'));
