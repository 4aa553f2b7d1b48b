# debugger: nothing built yet
