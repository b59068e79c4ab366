"""Customer contact (CRM) demand log: every contact, classified at first contact as value or failure demand."""

from sources.crm_contacts.contract import CONTRACT
from sources.crm_contacts.sample import generate

__all__ = ["CONTRACT", "generate"]
