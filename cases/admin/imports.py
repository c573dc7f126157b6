"""Bulk import in the admin: upload a CSV or JSON file, see a preview (a dry run listing what would be
created, updated or left unchanged, and every bad row), then confirm.

Between the preview and the confirmation the file is kept in the default storage under a random name,
and the confirmation form carries a signed token naming it, the user and the file's hash; the token
expires after PREVIEW_SECONDS, and the file is deleted once confirmed (or swept at the next upload once
expired). Nothing is re-uploaded and nothing can be confirmed that was not previewed by the same user.

Only users who may add and change cases import; an economy editor's rows must all be cases of their own
economies (cases/interchange/importing.py checks each row as the workflow would), else the preview
refuses with 403.
"""

import hashlib
import secrets
import time

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from cases.interchange.formats import FORMATS, InterchangeError, format_for, read_cases
from cases.interchange.importing import ImportRejected, import_case_file

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
PREVIEW_SECONDS = 30 * 60
PENDING_DIR = "imports/pending"
SIGNING_SALT = "cases.admin.imports"


def _megabytes(size: int) -> str:
    """A file size in words: "10.0 MB", or "2 KB" below a megabyte."""
    if size < 1024 * 1024:
        return f"{max(size // 1024, 1)} KB" if size >= 1024 else f"{size} bytes"
    return f"{size / (1024 * 1024):.1f} MB"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A .csv, .json or .jsonl file in the import format of the curators' guide, at most %(limit)s."
        )
        % {"limit": _megabytes(MAX_UPLOAD_BYTES)},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
                % {"size": _megabytes(upload.size), "limit": _megabytes(MAX_UPLOAD_BYTES)}
            )
        try:
            format_for(upload.name)
        except InterchangeError:
            message = _("Choose a file whose name ends in .csv, .json or .jsonl.")
            raise forms.ValidationError(message) from None
        return upload


class CaseImportAdminMixin:
    """Adds "Import cases" (upload, preview, confirm) to a ModelAdmin of CaseStudy."""

    import_form_template = "admin/cases/casestudy/import_form.html"
    import_preview_template = "admin/cases/casestudy/import_preview.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="{}_{}_import".format(*info)),
            path(
                "import/confirm/",
                self.admin_site.admin_view(self.import_confirm_view),
                name="{}_{}_import_confirm".format(*info),
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm(
            f"{self.opts.app_label}.add_{self.opts.model_name}"
        ) and request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import_cases": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context=extra_context)

    # --- Views ------------------------------------------------------------------------------------

    def import_view(self, request):
        """GET: the upload form. POST: check the file and show the preview."""
        self._check_import_permission(request)
        status = 200
        if request.method == "POST":
            form = ImportUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                data = upload.read()
                try:
                    parsed = read_cases(data, format_for(upload.name))
                except InterchangeError as error:
                    form.add_error("file", str(error))
                else:
                    return self._preview(request, name=upload.name, data=data, parsed=parsed)
            status = 400
        else:
            form = ImportUploadForm()
        return TemplateResponse(
            request,
            self.import_form_template,
            {**self._import_context(request, _("Import cases")), "form": form, "formats": FORMATS},
            status=status,
        )

    def import_confirm_view(self, request):
        """POST with the preview's token: import the previewed file for real."""
        self._check_import_permission(request)
        form_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
        if request.method != "POST":
            return HttpResponseRedirect(form_url)
        try:
            stored, name, data = self._take_pending(request, request.POST.get("token", ""))
        except (signing.BadSignature, OSError, ValueError):
            messages.error(request, _("This preview has expired or is not valid: upload the file again."))
            return HttpResponseRedirect(form_url)
        try:
            parsed = read_cases(data, format_for(name))
            report = import_case_file(parsed, user=request.user, source=name)
        except InterchangeError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(form_url)
        except ImportRejected as rejected:
            # The catalogue changed since the preview (or the user's rights did): nothing was written.
            return self._render_preview(request, name=name, report=rejected.report, token=None)
        finally:
            default_storage.delete(stored)
        messages.success(request, f"{report.headline()} (file {name}).")
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

    # --- Helpers ----------------------------------------------------------------------------------

    def _check_import_permission(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied(_("Importing cases needs the permission to add and change case studies."))

    def _import_context(self, request, title):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "max_upload": _megabytes(MAX_UPLOAD_BYTES),
            "preview_minutes": PREVIEW_SECONDS // 60,
        }

    def _preview(self, request, *, name, data, parsed):
        try:
            report = import_case_file(parsed, user=request.user, dry_run=True, source=name)
        except ImportRejected as rejected:
            return self._render_preview(request, name=name, report=rejected.report, token=None)
        token = self._keep_pending(request, name, data)
        return self._render_preview(request, name=name, report=report, token=token)

    def _render_preview(self, request, *, name, report, token):
        status = 200 if report.ok else (403 if report.forbidden else 400)
        rows = {
            outcome: [r for r in report.rows if r.outcome == outcome]
            for outcome in ("created", "updated", "unchanged")
        }
        context = {
            **self._import_context(request, _("Import preview: %(name)s") % {"name": name}),
            "file_name": name,
            "report": report,
            "error_lines": report.error_lines(),
            "created_rows": rows["created"],
            "updated_rows": rows["updated"],
            "unchanged_rows": rows["unchanged"],
            "token": token,
        }
        return TemplateResponse(request, self.import_preview_template, context, status=status)

    def _keep_pending(self, request, name: str, data: bytes) -> str:
        _sweep_expired()
        fmt = format_for(name)
        stored = default_storage.save(
            f"{PENDING_DIR}/{int(time.time())}-{secrets.token_hex(16)}.{fmt}", ContentFile(data)
        )
        return signing.dumps(
            {
                "path": stored,
                "name": name,
                "user": request.user.pk,
                "sha256": hashlib.sha256(data).hexdigest(),
            },
            salt=SIGNING_SALT,
        )

    def _take_pending(self, request, token: str) -> tuple[str, str, bytes]:
        """The stored path, original name and content of a previewed file; raises when it is not this
        user's, has expired, or has changed."""
        payload = signing.loads(token, salt=SIGNING_SALT, max_age=PREVIEW_SECONDS)
        if payload.get("user") != request.user.pk or not str(payload.get("path", "")).startswith(PENDING_DIR):
            raise ValueError("not this user's preview")
        with default_storage.open(payload["path"], "rb") as stored:
            data = stored.read()
        if hashlib.sha256(data).hexdigest() != payload["sha256"]:
            raise ValueError("the stored file has changed")
        return payload["path"], payload["name"], data


def _sweep_expired() -> None:
    """Delete previewed files nobody confirmed (their names start with the time they were stored)."""
    try:
        _dirs, files = default_storage.listdir(PENDING_DIR)
    except (OSError, NotImplementedError):
        return
    oldest = time.time() - PREVIEW_SECONDS
    for file_name in files:
        stamp = file_name.split("-", 1)[0]
        if stamp.isdigit() and int(stamp) < oldest:
            default_storage.delete(f"{PENDING_DIR}/{file_name}")
