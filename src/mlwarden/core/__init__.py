"""What every check shares: findings, errors, options, config, suppression, file discovery."""
