"""Small dialect programs, one construct family per module, compiled and run in both modes."""
from cyrius.lang import install_host_mode

install_host_mode(__name__)
