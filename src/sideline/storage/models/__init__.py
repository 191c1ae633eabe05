"""All database models; import from here."""

from .base import Base, utcnow
from .datasets import Dataset, FramePart, Visibility
from .football import Clip
from .files import FileStatus, StoredFile
from .jobs import FINISHED_STATES, Job, JobState, JobStep
from .preferences import UserPreference
from .tenancy import ROLE_RANK, ApiKey, Athlete, Invitation, Membership, Organisation, PasswordReset, Role, User
from .timeseries import PARTITIONED_TABLES, Lap, Metric, Sample

__all__ = [
    "Base", "utcnow", "Clip", "Dataset", "FramePart", "Visibility", "FileStatus", "StoredFile",
    "FINISHED_STATES", "Job", "JobState", "JobStep", "ROLE_RANK", "ApiKey", "Athlete",
    "Invitation", "Membership", "Organisation", "PasswordReset", "Role", "User",
    "PARTITIONED_TABLES", "Lap", "Metric", "Sample", "UserPreference",
]
