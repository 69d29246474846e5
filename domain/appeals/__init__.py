"""Enterprise appeals (企业诉求): the aggregate, its service, ratings (好差评) and likely repeats (并单)."""
