-- One database per store, as the chart's in-cluster PostgreSQL creates them (the vault's keystore apart).
CREATE DATABASE profile;
CREATE DATABASE vault;
CREATE DATABASE vault_keystore;
