-- Autonumber fields (Case_Number, Solution_Number, …) draw from one counter per module.
ALTER TABLE modules ADD COLUMN autonumber_seq BIGINT NOT NULL DEFAULT 0;
