-- Reporter pseudonyms become unique (issue 11 item 15). Four base32 characters are 20 bits: among 5,000
-- reporters about ten pairs shared one, and a supervisor could not tell their reports apart. Where rows
-- already share a label, the earliest reporter keeps it and each later one gets the label plus its rank
-- among them in the same alphabet ("7F3K" -> "7F3K1", "7F3K2", ...): unique because every base label has
-- four characters, and the suffix says nothing about the reporter. New labels are made unique at creation
-- (storage/reporters.py), which this index enforces.
WITH ranked AS (
    SELECT id, ROW_NUMBER() OVER (PARTITION BY pseudonym ORDER BY id) - 1 AS later
    FROM reporters
)
UPDATE reporters SET pseudonym = pseudonym || (
    SELECT CASE WHEN ranked.later < 32
                THEN substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ranked.later + 1, 1)
                ELSE substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (ranked.later / 32) % 32 + 1, 1)
                     || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ranked.later % 32 + 1, 1) END
    FROM ranked WHERE ranked.id = reporters.id)
WHERE id IN (SELECT id FROM ranked WHERE later > 0);

CREATE UNIQUE INDEX reporters_pseudonym ON reporters (pseudonym);
