"""A package inside the test programs: its modules are imported by programs.imports."""
