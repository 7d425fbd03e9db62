"""fourfold: rammer, roller, welder and grinder as MLIR dialects and passes."""
