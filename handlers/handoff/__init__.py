"""The hand-off to Bawaslu and BKN: a case packet (PDF in Formulir Model B.1's order) and an evidence archive."""
