from monitor.cli import main

if __name__ == "__main__":  # not when a process pool imports the main module of its parent
    main()
