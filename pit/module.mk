# pit: nothing built yet
