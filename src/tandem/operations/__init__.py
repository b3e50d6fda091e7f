"""Operating a Tandem deployment: its status, backups and restores, the port it serves on."""
