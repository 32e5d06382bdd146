"""distillguard: detect and stop adversarial distillation of model APIs."""

from distillguard.errors import DistillguardError

__version__ = "0.1.0"
__all__ = ["DistillguardError", "__version__"]
